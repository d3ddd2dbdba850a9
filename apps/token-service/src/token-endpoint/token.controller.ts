import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuth2RequestReader } from '../client-authentication/oauth2-request';
import { dpopRequestOf } from '../dpop/dpop-request';
import { TokenResponse } from '../oauth2/http-schemas';
import { TokenEndpointService } from './token-endpoint.service';

/** POST /token and /oauth2/token (RFC 6749 §3.2, WSO2 paths). */
@Controller()
export class TokenController {
  constructor(
    @Inject(TokenEndpointService) private readonly endpoint: TokenEndpointService,
    @Inject(OAuth2RequestReader) private readonly requests: OAuth2RequestReader,
  ) {}

  @Post(['token', 'oauth2/token'])
  @HttpCode(200)
  async token(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenResponse> {
    const { token, dpopNonce } = await this.endpoint.exchange(this.requests.read(request), dpopRequestOf(request));
    // RFC 9449 §8.2: the nonce for the client's next proof.
    if (dpopNonce !== undefined) void reply.header('DPoP-Nonce', dpopNonce);
    return token;
  }
}
