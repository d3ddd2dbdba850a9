import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IntrospectResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { rpcFailure } from '@keymint/messaging';
import { IntrospectionService } from './introspection.service';

/** tokens.rpc.introspect.v1: the registry's and analytics' Bearer tokens are checked here. */
@Controller()
export class IntrospectRpc {
  constructor(@Inject(IntrospectionService) private readonly introspection: IntrospectionService) {}

  @MessagePattern(RPC_SUBJECTS.introspect)
  async introspect(@Payload() request: unknown): Promise<IntrospectResponse> {
    const token = (request as { token?: unknown } | null)?.token;
    if (typeof token !== 'string') throw rpcFailure('invalid_request', 'token must be a string');
    return this.introspection.introspect(token);
  }
}
