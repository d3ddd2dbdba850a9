import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { Database } from '@keymint/persistence';
import { TokenMinter } from '../../minting/token-minter';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { parseScopeParameter } from '../../oauth2/scope';
import { TokenResponse } from '../../oauth2/token-response';
import { resolveValidityPeriod } from '../../oauth2/validity';
import { TokenRevoker } from '../../revocation/token-revoker';
import { TokenStore } from '../../token-storage/token-store';
import { TokenWriter } from '../../token-storage/token-writer';
import { GrantContext, GrantHandler } from '../grant-handler';

/**
 * RFC 6749 §6 with rotation: the used refresh token is retired; presenting a
 * retired one again revokes its whole family (OAuth 2.0 Security BCP §4.14).
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token' as const;

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(Database) private readonly database: Database,
    @Inject(TokenStore) private readonly store: TokenStore,
    @Inject(TokenMinter) private readonly minter: TokenMinter,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
    @Inject(TokenRevoker) private readonly revoker: TokenRevoker,
  ) {}

  async handle({ client, parameters }: GrantContext): Promise<TokenResponse> {
    const presented = parameters.refresh_token;
    if (!presented) throw OAuth2Error.invalidRequest('refresh_token is required.');
    const requested = parseScopeParameter(parameters.scope);
    const row = await this.store.find(presented);
    if (!row || row.kind !== 'refresh' || row.consumerKey !== client.consumerKey || !row.familyId) throw OAuth2Error.invalidGrant();
    const familyId = row.familyId;
    const original = row.scopes.split(' ');
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    if (requested.some((scope) => !original.includes(scope))) throw OAuth2Error.invalidScope('The requested scope exceeds the original grant.');

    // Minted (and signed, off the request thread) before the transaction; dropped if the refresh token turns out invalid.
    const minted = await this.minter.mint({
      client,
      grantType: this.grantType,
      username: row.username ?? undefined,
      scopes: requested.length > 0 ? [...requested].sort() : original,
      // The key's validity, capped at MAX_TOKEN_VALIDITY like every other grant's.
      lifetimeSeconds: resolveValidityPeriod(undefined, client.validityTime, this.config.MAX_TOKEN_VALIDITY),
      refresh: client.grantTypes.includes('refresh_token') ? { familyId } : undefined,
    });

    const rotated = await this.database.transaction(async (manager) => {
      if (row.revokedAt !== null) {
        if (row.revokeReason === 'rotated') await this.revoker.revokeFamilyInTransaction(manager, familyId);
        return false;
      }
      if (row.expiresAt <= Date.now()) return false;
      if (!(await this.writer.rotateInTransaction(manager, row.id))) {
        // Rotated by a concurrent request: the same token was used twice.
        await this.revoker.revokeFamilyInTransaction(manager, familyId);
        return false;
      }
      await this.writer.writeInTransaction(manager, [minted]);
      return true;
    });
    if (!rotated) throw OAuth2Error.invalidGrant();
    return minted.response;
  }
}
