import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthenticateUserRequest, AuthenticateUserResponse, GetClientRequest, GetClientResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { rpcFailure } from '@keymint/messaging';
import { KeysService } from '../keys/keys.service';
import { PasswordHashingBusy } from '../users/password-hasher';
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

  /** `busy` when too many password checks are in progress (the callers answer 503 with Retry-After). */
  @MessagePattern(RPC_SUBJECTS.authenticateUser)
  async authenticateUser(@Payload() request: AuthenticateUserRequest): Promise<AuthenticateUserResponse> {
    let user;
    try {
      user = await this.users.authenticate(request.username, request.password);
    } catch (error) {
      if (error instanceof PasswordHashingBusy) throw rpcFailure('busy', 'Too many password checks are in progress; try again in a moment.');
      throw error;
    }
    return user ? { authenticated: true, username: user.username, roles: user.roles } : { authenticated: false };
  }
}
