import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OAuth2RequestReader } from '../client-authentication/oauth2-request';
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
  token(@Req() request: FastifyRequest): Promise<TokenResponse> {
    return this.endpoint.exchange(this.requests.read(request));
  }
}
