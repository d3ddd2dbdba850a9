import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OAuth2RequestReader } from '../client-authentication/oauth2-request';
import { RevocationService } from './revocation.service';

/** POST /revoke and /oauth2/revoke (RFC 7009): 200 with an empty body for known and unknown tokens. */
@Controller()
export class RevocationController {
  constructor(
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(OAuth2RequestReader) private readonly requests: OAuth2RequestReader,
  ) {}

  @Post(['revoke', 'oauth2/revoke'])
  @HttpCode(200)
  async revoke(@Req() request: FastifyRequest): Promise<string> {
    await this.revocation.revokeRequest(this.requests.read(request));
    return '';
  }
}
