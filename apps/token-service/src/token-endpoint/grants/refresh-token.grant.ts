import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { Database } from '@keymint/persistence';
import { OutboxEntry } from '@keymint/messaging';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { parseScopeParameter } from '../../oauth2/scope';
import { resolveValidityPeriod } from '../../oauth2/validity';
import { TokenIssuer, TokenResponse } from '../../tokens/token-issuer';
import { TokenRecord } from '../../tokens/token.entity';
import { TokenStore } from '../../tokens/token-store';
import { GrantContext, GrantHandler } from './grant-handler';

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
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
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
    const scopes = requested.length > 0 ? [...requested].sort() : original;

    // Signed before the transaction (off the request thread); dropped if the refresh token turns out invalid.
    const prepared = await this.issuer.prepare({
      client,
      grantType: this.grantType,
      username: row.username ?? undefined,
      scopes,
      // The key's validity, capped at MAX_TOKEN_VALIDITY like every other grant's.
      lifetimeSeconds: resolveValidityPeriod(undefined, client.validityTime, this.config.MAX_TOKEN_VALIDITY),
      refresh: client.grantTypes.includes('refresh_token') ? { familyId } : undefined,
    });

    const outcome = await this.database.transaction(async (manager) => {
      if (row.revokedAt !== null) {
        if (row.revokeReason === 'rotated') await this.store.revokeFamily(manager, familyId);
        return { invalid: true as const };
      }
      if (row.expiresAt <= Date.now()) return { invalid: true as const };
      if (!(await this.store.markRotated(manager, row.id))) {
        // Rotated by a concurrent request: the same token was used twice.
        await this.store.revokeFamily(manager, familyId);
        return { invalid: true as const };
      }
      await manager.insert(TokenRecord, prepared.write.rows);
      await manager.insert(OutboxEntry, prepared.write.events);
      return { response: prepared.response };
    });
    if ('response' in outcome && outcome.response) return outcome.response;
    throw OAuth2Error.invalidGrant();
  }
}
