import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuthenticateUserRequest,
  AuthenticateUserResponse,
  GetClientRequest,
  GetClientResponse,
  ReportSecretUseRequest,
  ReportSecretUseResponse,
  RPC_SUBJECTS,
} from '@keymint/contracts';
import { rpcFailure } from '@keymint/messaging';
import { KeysService } from '../keys/keys.service';
import { PasswordHashingBusy } from '../users/password-hasher';
import { UserSignIn } from '../users/user-sign-in';

/**
 * The registry's answers to the token service (one indexed read each; password checks share the Basic-auth cache
 * and the failure limit).
 * Requests arrive checked against their schemas (RPC_SCHEMAS): a malformed one got `invalid_request` before this runs.
 */
@Controller()
export class RegistryRpcController {
  constructor(
    @Inject(KeysService) private readonly keys: KeysService,
    @Inject(UserSignIn) private readonly signIns: UserSignIn,
  ) {}

  @MessagePattern(RPC_SUBJECTS.getClient)
  async getClient(@Payload() request: GetClientRequest): Promise<GetClientResponse> {
    return this.keys.clientRecord(request.consumerKey);
  }

  /** A token-service replica's batch of used consumer secrets: one UPDATE. */
  @MessagePattern(RPC_SUBJECTS.reportSecretUse)
  async reportSecretUse(@Payload() request: ReportSecretUseRequest): Promise<ReportSecretUseResponse> {
    return { updated: await this.keys.recordSecretUse(request.secretIds, request.usedAt) };
  }

  /** `busy` when too many password checks are in progress (the callers answer 503 with Retry-After). */
  @MessagePattern(RPC_SUBJECTS.authenticateUser)
  async authenticateUser(@Payload() request: AuthenticateUserRequest): Promise<AuthenticateUserResponse> {
    let result;
    try {
      result = await this.signIns.signIn(request.username, request.password, request.clientAddress);
    } catch (error) {
      if (error instanceof PasswordHashingBusy) throw rpcFailure('busy', 'Too many password checks are in progress; try again in a moment.');
      throw error;
    }
    if (result.outcome === 'signed-in') return { authenticated: true, username: result.user.username, roles: result.user.roles };
    return result.outcome === 'refused' ? { authenticated: false, retryAfterSeconds: result.retryAfterSeconds } : { authenticated: false };
  }
}
