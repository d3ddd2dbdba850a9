import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthenticateUserRequest, AuthenticateUserResponse, GetClientRequest, GetClientResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { KeysService } from '../keys/keys.service';
import { UsersService } from '../users/users.service';

/**
 * The registry's answers to the token service (one indexed read each; password checks share the Basic-auth cache).
 * Requests arrive checked against their schemas (RPC_SCHEMAS): a malformed one got `invalid_request` before this runs.
 */
@Controller()
export class RegistryRpcController {
  constructor(
    @Inject(KeysService) private readonly keys: KeysService,
    @Inject(UsersService) private readonly users: UsersService,
  ) {}

  @MessagePattern(RPC_SUBJECTS.getClient)
  async getClient(@Payload() request: GetClientRequest): Promise<GetClientResponse> {
    return this.keys.clientRecord(request.consumerKey);
  }

  @MessagePattern(RPC_SUBJECTS.authenticateUser)
  async authenticateUser(@Payload() request: AuthenticateUserRequest): Promise<AuthenticateUserResponse> {
    const user = await this.users.authenticate(request.username, request.password);
    return user ? { authenticated: true, username: user.username, roles: user.roles } : { authenticated: false };
  }
}
