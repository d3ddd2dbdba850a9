import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { TokenRevocationReason } from '@keymint/contracts';
import { encodeEvent, OutboxEntry } from '@keymint/messaging';
import { Database, quotedTable, selectRows } from '@keymint/persistence';
import { TokenIssuer } from './token-issuer';
import { LegacyTokenHash, TokenRecord } from './token.entity';
import { presentedTokenId, sameTokenHash, tokenHash } from './token-hash';
import { revokeRows } from './token-writer';

/** Reads and revocations of stored tokens; every revocation records tokens.revoked.v1 in the same transaction. */
@Injectable()
export class TokenStore {
  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
  ) {}

  /** The stored row of a presented token (found by the id it carries, then its hash compared), or null. */
  async find(token: string): Promise<TokenRecord | null> {
    if (token.length === 0 || token.length > 8192) return null;
    const id = presentedTokenId(token);
    const hash = tokenHash(token);
    // Through consistentRead: on SQLite's one shared connection a plain read would see a revocation that is
    // not committed yet (and may still roll back) while the in-memory reuse index has not caught up with it.
    const [row] = await this.database.consistentRead(async (manager) => {
      const byId = id === null ? [] : await selectRows(manager, TokenRecord, (params) => `"id" = ${params.add(id)}`, 1);
      if (byId.length > 0) return byId;
      // An opaque token from before tokens carried their id (migration 1700000000002).
      const legacy = quotedTable(manager.connection, LegacyTokenHash);
      return selectRows(manager, TokenRecord, (params) => `"id" IN (SELECT "tokenId" FROM ${legacy} WHERE "tokenHash" = ${params.add(hash)})`, 1);
    });
    return row && sameTokenHash(hash, row.tokenHash) ? row : null;
  }

  /** RFC 7009 revocation of one token (and, for a refresh token, its whole family). */
  async revoke(row: TokenRecord, reason: TokenRevocationReason): Promise<void> {
    const revoked = await this.database.transaction(async (manager) => {
      const rows = row.familyId && row.kind === 'refresh'
        ? await manager.find(TokenRecord, { where: { familyId: row.familyId, revokedAt: IsNull() } })
        : await manager.find(TokenRecord, { where: { id: row.id, revokedAt: IsNull() } });
      await revokeRows(manager, rows, reason);
      return rows;
    });
    this.issuer.forgetTokens(revoked.map((revokedRow) => revokedRow.id));
  }

  /** Every live token of a consumer key (secret regenerated, key deleted), in the consumer's transaction. */
  async revokeByConsumerKey(manager: EntityManager, consumerKey: string, applicationId: string, reason: TokenRevocationReason): Promise<void> {
    const now = Date.now();
    await manager.update(TokenRecord, { consumerKey, revokedAt: IsNull() }, { revokedAt: now, revokeReason: reason, encryptedToken: null });
    await manager.insert(OutboxEntry, encodeEvent('tokens.revoked.v1', { tokenId: null, applicationId, consumerKey, reason }));
    this.issuer.forgetConsumerKey(consumerKey);
  }

  /** Every live token of an application (deleted), one event per consumer key that had live tokens. */
  async revokeByApplication(manager: EntityManager, applicationId: string, reason: TokenRevocationReason): Promise<void> {
    // "revokedAt" IS NULL: the application index holds live tokens only (migration 1700000000003).
    const keys = await manager
      .createQueryBuilder(TokenRecord, 'token')
      .select('DISTINCT token.consumerKey', 'consumerKey')
      .where('token.applicationId = :applicationId AND token.revokedAt IS NULL', { applicationId })
      .getRawMany<{ consumerKey: string }>();
    for (const { consumerKey } of keys) await this.revokeByConsumerKey(manager, consumerKey, applicationId, reason);
  }

  /** Refresh rotation: marks the used refresh token rotated; false when another request got there first. */
  async markRotated(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager.update(TokenRecord, { id, revokedAt: IsNull() }, { revokedAt: Date.now(), revokeReason: 'rotated' });
    return (result.affected ?? 0) === 1;
  }

  /** Refresh token reuse: the whole family, access tokens included. */
  async revokeFamily(manager: EntityManager, familyId: string): Promise<string[]> {
    const rows = await manager.find(TokenRecord, { where: { familyId, revokedAt: IsNull() } });
    await revokeRows(manager, rows, 'refresh_token_reuse');
    return rows.map((row) => row.id);
  }
}
