import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IntrospectRequest, IntrospectResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { IntrospectionService } from './introspection.service';

/** tokens.rpc.introspect.v1: the registry's and analytics' Bearer tokens are checked here. */
@Controller()
export class IntrospectRpc {
  constructor(@Inject(IntrospectionService) private readonly introspection: IntrospectionService) {}

  @MessagePattern(RPC_SUBJECTS.introspect)
  introspect(@Payload() { token }: IntrospectRequest): Promise<IntrospectResponse> {
    // The transport has checked the payload against its schema (libs/contracts) before this runs.
    return this.introspection.introspect(token);
  }
}
