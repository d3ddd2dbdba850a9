import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, In, IsNull, ObjectLiteral } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TokenRevocationReason } from '@keymint/contracts';
import { OutboxEntry, outboxEntry } from '@keymint/messaging';
import { BatchWriter, Database, insertRows } from '@keymint/persistence';
import { TokenRecord } from './token.entity';

/** One token response's writes: its rows and events, committed together. */
export interface TokenWrite {
  rows: TokenRecord[];
  events: Array<QueryDeepPartialEntity<OutboxEntry>>;
  /** TOKEN_RENEW_PER_REQUEST: revoke the key's earlier tokens for the same scope set. */
  renewReuseKey?: string;
}

/**
 * Group commit for the token path: concurrent responses share one transaction
 * in which every token row and its tokens.issued.v1 outbox row are written.
 */
@Injectable()
export class TokenWriter {
  private readonly writer: BatchWriter<TokenWrite>;

  constructor(@Inject(Database) private readonly database: Database) {
    this.writer = new BatchWriter<TokenWrite>(database, (manager, writes) => this.writeBatch(manager, writes), 500);
  }

  submit(write: TokenWrite): Promise<void> {
    return this.writer.submit(write);
  }

  private async writeBatch(manager: EntityManager, writes: TokenWrite[]): Promise<void> {
    if (writes.some((write) => write.renewReuseKey)) {
      // Renewal revokes what came before it, so order inside the batch matters: one write at a time.
      for (const write of writes) {
        if (write.renewReuseKey) await revokeRenewed(manager, write.renewReuseKey, write.rows.map((row) => row.id));
        await insertChunked(manager, TokenRecord, write.rows);
        await insertChunked(manager, OutboxEntry, write.events);
      }
      return;
    }
    await insertChunked(manager, TokenRecord, writes.flatMap((write) => write.rows));
    await insertChunked(manager, OutboxEntry, writes.flatMap((write) => write.events));
  }
}

function insertChunked<T extends ObjectLiteral>(manager: EntityManager, target: new () => T, rows: Array<QueryDeepPartialEntity<T>>): Promise<void> {
  return insertRows(manager, target, rows as Array<Partial<T>>);
}

async function revokeRenewed(manager: EntityManager, reuseKey: string, exceptIds: string[]): Promise<void> {
  const previous = await manager.find(TokenRecord, { where: { reuseKey, revokedAt: IsNull() } });
  const stale = previous.filter((row) => !exceptIds.includes(row.id));
  if (stale.length === 0) return;
  await revokeRows(manager, stale, 'renewed');
}

/** Marks rows revoked and records one tokens.revoked.v1 per access token, in the caller's transaction. */
export async function revokeRows(manager: EntityManager, rows: TokenRecord[], reason: TokenRevocationReason | 'rotated'): Promise<void> {
  const now = Date.now();
  const ids = rows.map((row) => row.id);
  for (let start = 0; start < ids.length; start += 500) {
    await manager.update(TokenRecord, { id: In(ids.slice(start, start + 500)), revokedAt: IsNull() }, { revokedAt: now, revokeReason: reason, encryptedToken: null });
  }
  if (reason === 'rotated') return;
  const events = rows
    .filter((row) => row.kind === 'access')
    .map((row) => outboxEntry('tokens.revoked.v1', { tokenId: row.id, applicationId: row.applicationId, consumerKey: row.consumerKey, reason }).entry);
  await insertChunked(manager, OutboxEntry, events);
}
