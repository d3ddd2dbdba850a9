import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { TokenConfirmation } from '@keymint/contracts';
import { Database, statementsIn } from '@keymint/persistence';
import { RefreshFamily, TokenMinter } from '../../minting/token-minter';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { RefreshTokenRequest, RefreshTokenRequestSchema } from '../../oauth2/http-schemas';
import { refreshResources, requestedResources } from '../../oauth2/resources';
import { grantScopes, requestedScopes } from '../../oauth2/scope';
import { familyEnd, lifetimeSeconds } from '../../oauth2/validity';
import { TokenRevoker } from '../../revocation/token-revoker';
import { TokenStore } from '../../token-storage/token-store';
import { confirmationOf, TokenRecord } from '../../token-storage/token.entity';
import { TokenWriter } from '../../token-storage/token-writer';
import { GrantContext, GrantHandler, IssuedToken } from '../grant-handler';

/**
 * RFC 6749 §6 with rotation: the used refresh token is retired; presenting a
 * retired one again revokes its whole family (OAuth 2.0 Security BCP §4.14).
 * The scopes and resources are decided again from the key's current record
 * (a refresh may narrow both, never widen them), the family ends
 * REFRESH_TOKEN_MAX_LIFETIME after its password grant however often it is
 * rotated, and a user's password change, role removal or deletion has
 * revoked it (RegistryEventsConsumer). A family bound to a DPoP key is
 * refreshed only with a proof by that key (RFC 9449 §5); an unbound one is
 * bound from the first refresh that carries a proof.
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler<RefreshTokenRequest> {
  readonly grantType = 'refresh_token' as const;
  readonly parameters = RefreshTokenRequestSchema;

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(Database) private readonly database: Database,
    @Inject(TokenStore) private readonly store: TokenStore,
    @Inject(TokenMinter) private readonly minter: TokenMinter,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
    @Inject(TokenRevoker) private readonly revoker: TokenRevoker,
  ) {}

  async handle({ client, parameters, clientAuthMethod, confirmation: presented, origin }: GrantContext<RefreshTokenRequest>): Promise<IssuedToken> {
    const requested = requestedScopes(parameters.scope);
    const row = await this.store.find(parameters.refresh_token);
    if (!row || row.kind !== 'refresh' || row.consumerKey !== client.consumerKey || !row.familyId) throw OAuth2Error.invalidGrant();
    // Before anything is rotated or revoked: without the key or certificate, a bound refresh token changes nothing.
    const confirmation = refreshedConfirmation(row, presented);
    const familyId = row.familyId;
    const original = row.scopes.split(' ');
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    if (requested.some((scope) => !original.includes(scope))) throw OAuth2Error.invalidScope('The requested scope exceeds the original grant.');
    // RFC 8707 §2.2: likewise the resources, which are decided again from the key as it is now, like the scopes.
    const resources = refreshResources(requestedResources(parameters.resource), row.audience === null ? undefined : row.audience.split(' '), client);
    // Migration 1700000000005 gave every refresh token its family's start; the fallback only keeps the type honest.
    const familyIssuedAt = row.familyIssuedAt ?? row.issuedAt;
    const family: RefreshFamily = {
      familyId,
      issuedAt: familyIssuedAt,
      // The roles of the family's password grant: never more than the user holds now, since taking a role away
      // revokes the user's tokens (RegistryEventsConsumer). Unknown for a family from before: none.
      roles: row.familyRoles ? row.familyRoles.split(' ') : [],
      // The new refresh token keeps the family's resources even when this access token is narrowed to fewer.
      audience: resources.family,
    };

    // Minted (and signed, off the request thread) before the transaction; dropped if the refresh token turns out invalid.
    const minted = await this.minter.mint({
      client,
      clientAuthMethod,
      grantType: this.grantType,
      username: row.username ?? undefined,
      // Decided again from the key as it is now (its scopes and their role bindings): what it no longer allows is dropped.
      scopes: grantScopes(requested.length > 0 ? requested : original, client.scopes, { kind: 'user', roles: family.roles }),
      // The key's validity, capped at MAX_TOKEN_VALIDITY like every other grant's.
      lifetimeSeconds: lifetimeSeconds(undefined, client.validityTime, this.config.MAX_TOKEN_VALIDITY),
      refresh: client.grantTypes.includes('refresh_token') ? family : undefined,
      audience: resources.access,
      // The family keeps what it is bound to (and gets bound by its first proof or certificate).
      confirmation,
      origin,
    });

    const rotated = await this.database.transaction(async (manager) => {
      if (row.revokedAt !== null) {
        if (row.revokeReason === 'rotated') await this.revoker.revokeFamilyInTransaction(manager, familyId, origin);
        return false;
      }
      // Expired, or its family is past REFRESH_TOKEN_MAX_LIFETIME (which may have been lowered since the token was issued).
      const now = Date.now();
      if (row.expiresAt <= now || familyEnd(familyIssuedAt, this.config) <= now) return false;
      if (!(await this.writer.rotateInTransaction(manager, row.id))) {
        // Rotated by a concurrent request: the same token was used twice.
        await this.revoker.revokeFamilyInTransaction(manager, familyId, origin);
        return false;
      }
      await this.writer.writeInTransaction(statementsIn(manager), [minted]);
      return true;
    });
    if (!rotated) throw OAuth2Error.invalidGrant();
    return { response: minted.response, access: minted.access, reused: false };
  }
}

/**
 * What the refreshed tokens are bound to (RFC 9449 §5, RFC 8705 §3; docs/decisions.md). A refresh token bound
 * to a DPoP key is used with a proof by that key, one bound to a client certificate with that certificate, or
 * not at all (`invalid_grant`: the grant is not the requester's). A binding is never dropped nor moved; an
 * unbound refresh token refreshed with a proof or a certificate gets it: the new access and refresh tokens are
 * bound from then on (a binding may be added, never taken away).
 */
function refreshedConfirmation(row: TokenRecord, presented: TokenConfirmation | undefined): TokenConfirmation | undefined {
  if (row.cnfJkt !== null && row.cnfJkt !== presented?.jkt) {
    throw OAuth2Error.invalidGrant(
      presented?.jkt === undefined
        ? 'This refresh token is bound to a DPoP key: send a DPoP proof signed by that key.'
        : 'This refresh token is bound to another DPoP key than the one of the proof.',
    );
  }
  if (row.cnfX5t !== null && row.cnfX5t !== presented?.['x5t#S256']) {
    throw OAuth2Error.invalidGrant('The refresh token is bound to a client certificate: present that certificate.');
  }
  const bound = confirmationOf(row).cnf;
  return bound === undefined && presented === undefined ? undefined : { ...bound, ...presented };
}
