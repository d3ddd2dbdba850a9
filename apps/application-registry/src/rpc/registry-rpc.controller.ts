import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthenticateUserResponse, GetClientResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { rpcFailure } from '@keymint/messaging';
import { KeysService } from '../keys/keys.service';
import { UsersService } from '../users/users.service';
import { parseAuthenticateUserRequest, parseGetClientRequest } from './rpc-payloads';

/** The registry's answers to the token service (one indexed read each; password checks share the Basic-auth cache). */
@Controller()
export class RegistryRpcController {
  constructor(
    @Inject(KeysService) private readonly keys: KeysService,
    @Inject(UsersService) private readonly users: UsersService,
  ) {}

  @MessagePattern(RPC_SUBJECTS.getClient)
  async getClient(@Payload() data: unknown): Promise<GetClientResponse> {
    const request = parseGetClientRequest(data);
    if (typeof request === 'string') throw rpcFailure('invalid_request', request);
    return this.keys.clientRecord(request.consumerKey);
  }

  @MessagePattern(RPC_SUBJECTS.authenticateUser)
  async authenticateUser(@Payload() data: unknown): Promise<AuthenticateUserResponse> {
    const request = parseAuthenticateUserRequest(data);
    if (typeof request === 'string') throw rpcFailure('invalid_request', request);
    const user = await this.users.authenticate(request.username, request.password);
    return user ? { authenticated: true, username: user.username, roles: user.roles } : { authenticated: false };
  }
}
