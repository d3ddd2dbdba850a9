import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TokenResponse } from '../tokens/token-issuer';
import { TokenEndpointService } from './token-endpoint.service';

/** POST /token and /oauth2/token (RFC 6749 §3.2, WSO2 paths). */
@Controller()
export class TokenController {
  constructor(@Inject(TokenEndpointService) private readonly endpoint: TokenEndpointService) {}

  @Post(['token', 'oauth2/token'])
  @HttpCode(200)
  token(@Req() request: FastifyRequest): Promise<TokenResponse> {
    return this.endpoint.exchange(toOAuth2Request(request));
  }
}

export function toOAuth2Request(request: FastifyRequest) {
  return { body: request.body, query: request.query, authorization: request.headers.authorization, address: request.ip };
}
