import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IntrospectRequest, IntrospectResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { introspections } from '../metrics/token-metrics';
import { IntrospectionService } from './introspection.service';

/**
 * tokens.rpc.introspect.v1: the registry's and analytics' Bearer tokens are
 * checked here, so it answers for access tokens only: a refresh token is
 * inactive as a Bearer credential (RFC 6749 §1.5: it is only ever sent to the
 * token endpoint), and so is a token whose audience is other resources (RFC 8707).
 */
@Controller()
export class IntrospectRpc {
  constructor(@Inject(IntrospectionService) private readonly introspection: IntrospectionService) {}

  @MessagePattern(RPC_SUBJECTS.introspect)
  async introspect(@Payload() { token }: IntrospectRequest): Promise<IntrospectResponse> {
    // The transport has checked the payload against its schema (libs/contracts) before this runs.
    const result = await this.introspection.introspect(token, { accessOnly: true });
    introspections.labels({ source: 'rpc', result: result.active ? 'active' : 'inactive' }).inc();
    return result;
  }
}
