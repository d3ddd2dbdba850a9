import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IntrospectResponse } from '@keymint/contracts';
import { OAuth2RequestReader } from '../client-authentication/oauth2-request';
import { IntrospectionService } from './introspection.service';

/** POST /introspect and /oauth2/introspect (RFC 7662). */
@Controller()
export class IntrospectionController {
  constructor(
    @Inject(IntrospectionService) private readonly introspection: IntrospectionService,
    @Inject(OAuth2RequestReader) private readonly requests: OAuth2RequestReader,
  ) {}

  @Post(['introspect', 'oauth2/introspect'])
  @HttpCode(200)
  introspect(@Req() request: FastifyRequest): Promise<IntrospectResponse> {
    return this.introspection.introspectRequest(this.requests.read(request));
  }
}
