import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { Database, quotedTable, selectRows } from '@keymint/persistence';
import { presentedTokenId, sameTokenHash, tokenHash } from './token-hash';
import { LegacyTokenHash, TokenRecord } from './token.entity';

/** Reads of stored tokens; every write goes through TokenWriter. */
@Injectable()
export class TokenStore {
  constructor(@Inject(Database) private readonly database: Database) {}

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

  /** The live tokens of a refresh family, access tokens included. */
  liveFamily(manager: EntityManager, familyId: string): Promise<TokenRecord[]> {
    return manager.find(TokenRecord, { where: { familyId, revokedAt: IsNull() } });
  }

  /** The live tokens of a user, of every key (through the live-user index, migration 1700000000005). */
  liveTokensOfUser(manager: EntityManager, username: string): Promise<TokenRecord[]> {
    // Both terms of the partial index's condition, so the lookup uses it.
    return selectRows(manager, TokenRecord, (params) => `"username" = ${params.add(username)} AND "username" IS NOT NULL AND "revokedAt" IS NULL`);
  }

  /** The row, if it is still live. */
  liveToken(manager: EntityManager, id: string): Promise<TokenRecord[]> {
    return manager.find(TokenRecord, { where: { id, revokedAt: IsNull() } });
  }

  /** The consumer keys of an application that have live tokens. */
  async consumerKeysWithLiveTokens(manager: EntityManager, applicationId: string): Promise<string[]> {
    // "revokedAt" IS NULL: the application index holds live tokens only (migration 1700000000003).
    const keys = await manager
      .createQueryBuilder(TokenRecord, 'token')
      .select('DISTINCT token.consumerKey', 'consumerKey')
      .where('token.applicationId = :applicationId AND token.revokedAt IS NULL', { applicationId })
      .getRawMany<{ consumerKey: string }>();
    return keys.map((key) => key.consumerKey);
  }
}
