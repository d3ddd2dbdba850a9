import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { RPC_SUBJECTS } from '@keymint/contracts';
import { countRateLimited } from '@keymint/http-kit';
import { RpcClient, RpcError } from '@keymint/messaging';
import { timeOrderedUuid } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { TokenMinter } from '../../minting/token-minter';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { PasswordRequest, PasswordRequestSchema } from '../../oauth2/http-schemas';
import { grantResources, requestedResources } from '../../oauth2/resources';
import { grantScopes, requestedScopes } from '../../oauth2/scope';
import { lifetimeSeconds } from '../../oauth2/validity';
import { TokenWriter } from '../../token-storage/token-writer';
import { GrantContext, GrantHandler, IssuedToken } from '../grant-handler';

/**
 * RFC 6749 §4.3: the user is checked by the registry (user.authenticate RPC),
 * which also limits each user's failed sign-ins per client address; a key that allows refresh_token
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
  ) {}

  async handle({ client, parameters, address, clientAuthMethod, confirmation, origin }: GrantContext<PasswordRequest>): Promise<IssuedToken> {
    const { username, password } = parameters;
    // Checked before the user's password: a request the client may not make costs no sign-in attempt.
    const audience = grantResources(requestedResources(parameters.resource), client);
    const result = await this.authenticate(username, password, address, origin);
    if (!result.authenticated) {
      if (!result.retryAfterSeconds) throw OAuth2Error.invalidGrant();
      countRateLimited('token', 'user');
      throw OAuth2Error.tooManyRequests(result.retryAfterSeconds);
    }
    const minted = await this.minter.mint({
      client,
      clientAuthMethod,
      grantType: this.grantType,
      username: result.username,
      scopes: grantScopes(requestedScopes(parameters.scope), client.scopes, { kind: 'user', roles: result.roles }),
      lifetimeSeconds: lifetimeSeconds(parameters.validity_period, client.validityTime, this.config.MAX_TOKEN_VALIDITY),
      refresh: client.grantTypes.includes('refresh_token') ? { familyId: timeOrderedUuid(), roles: result.roles, audience } : undefined,
      audience,
      // The access token and the family's refresh tokens (RefreshTokenGrant keeps them bound).
      confirmation,
      origin,
    });
    await this.writer.submit(minted);
    return { response: minted.response, access: minted.access, reused: false };
  }

  private async authenticate(username: string, password: string, clientAddress: string, origin: RequestContext | undefined) {
    try {
      return await this.rpc.request(RPC_SUBJECTS.authenticateUser, { username, password, clientAddress }, origin);
    } catch (error) {
      if (error instanceof RpcError) throw OAuth2Error.temporarilyUnavailable('The user directory is unavailable; try again later.');
      throw error;
    }
  }
}
