import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { RPC_SUBJECTS } from '@keymint/contracts';
import { RpcClient, RpcError } from '@keymint/messaging';
import { timeOrderedUuid } from '@keymint/persistence';
import { AuthFailureLimiter } from '../../client-authentication/auth-failure-limiter';
import { TokenMinter } from '../../minting/token-minter';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { PasswordRequest, PasswordRequestSchema, TokenResponse } from '../../oauth2/http-schemas';
import { grantScopes, requestedScopes } from '../../oauth2/scope';
import { lifetimeSeconds } from '../../oauth2/validity';
import { TokenWriter } from '../../token-storage/token-writer';
import { GrantContext, GrantHandler } from '../grant-handler';

/**
 * RFC 6749 §4.3: the user is checked by the registry (user.authenticate RPC),
 * failures are limited per (user, address); a key that allows refresh_token
 * gets a refresh token starting a new family. Always a new token.
 */
@Injectable()
export class PasswordGrant implements GrantHandler<PasswordRequest> {
  readonly grantType = 'password' as const;
  readonly parameters = PasswordRequestSchema;

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(TokenMinter) private readonly minter: TokenMinter,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(AuthFailureLimiter) private readonly limiter: AuthFailureLimiter,
  ) {}

  async handle({ client, parameters, address }: GrantContext<PasswordRequest>): Promise<TokenResponse> {
    const { username, password } = parameters;
    const blockedFor = this.limiter.blockedFor('user', username, address);
    if (blockedFor > 0) throw OAuth2Error.tooManyRequests(blockedFor);
    const result = await this.authenticate(username, password);
    if (!result.authenticated) {
      this.limiter.recordFailure('user', username, address);
      throw OAuth2Error.invalidGrant();
    }
    const minted = await this.minter.mint({
      client,
      grantType: this.grantType,
      username: result.username,
      scopes: grantScopes(requestedScopes(parameters.scope), client.scopes, { kind: 'user', roles: result.roles }),
      lifetimeSeconds: lifetimeSeconds(parameters.validity_period, client.validityTime, this.config.MAX_TOKEN_VALIDITY),
      refresh: client.grantTypes.includes('refresh_token') ? { familyId: timeOrderedUuid(), roles: result.roles } : undefined,
    });
    await this.writer.submit(minted);
    return minted.response;
  }

  private async authenticate(username: string, password: string) {
    try {
      return await this.rpc.request(RPC_SUBJECTS.authenticateUser, { username, password });
    } catch (error) {
      if (error instanceof RpcError) throw OAuth2Error.temporarilyUnavailable('The user directory is unavailable; try again later.');
      throw error;
    }
  }
}
