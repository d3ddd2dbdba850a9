import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { TokenRevocationReason } from '@keymint/contracts';
import { encodeEvent, OutboxEntry, packEvents } from '@keymint/messaging';
import { BatchWriter, Database, inListChunks, insertRows, quotedTable, selectRows, SqlParams } from '@keymint/persistence';
import { TokenRecord } from './token.entity';

/** One token response's writes: its rows and events, committed together. */
export interface TokenWrite {
  rows: TokenRecord[];
  events: Array<Partial<OutboxEntry>>;
  /** TOKEN_RENEW_PER_REQUEST: revoke the key's earlier tokens for the same scope set. */
  renewReuseKey?: string;
}

/**
 * Group commit for the token path: concurrent responses share one transaction
 * in which every token row and its tokens.issued.v1 outbox row are written
 * (packed EVENTS_PER_MESSAGE to a message).
 */
@Injectable()
export class TokenWriter {
  private readonly writer: BatchWriter<TokenWrite>;
  private readonly eventsPerMessage: number;

  constructor(@Inject(Database) private readonly database: Database, @Inject(CONFIG) config: TokenServiceConfig) {
    this.writer = new BatchWriter<TokenWrite>(database, (manager, writes) => this.writeBatch(manager, writes), 500);
    this.eventsPerMessage = config.EVENTS_PER_MESSAGE;
  }

  submit(write: TokenWrite): Promise<void> {
    return this.writer.submit(write);
  }

  private async writeBatch(manager: EntityManager, writes: TokenWrite[]): Promise<void> {
    const revoked = await this.supersedeRenewed(manager, writes);
    await insertRows(manager, TokenRecord, writes.flatMap((write) => write.rows));
    // In the order of what happened: stored tokens superseded, the batch's tokens issued, those of them superseded in turn.
    const events = [...revoked.stored, ...writes.flatMap((write) => write.events), ...revoked.inBatch];
    await insertRows(manager, OutboxEntry, packEvents(events, this.eventsPerMessage));
  }

  /**
   * TOKEN_RENEW_PER_REQUEST: each new token revokes the earlier ones of its
   * key and scope set. For a whole batch that is, per reuse key: every token
   * already stored, and every token of the batch but the last. Done with one
   * query per batch, as if the requests had been written one after another.
   */
  private async supersedeRenewed(
    manager: EntityManager,
    writes: TokenWrite[],
  ): Promise<{ stored: Array<Partial<OutboxEntry>>; inBatch: Array<Partial<OutboxEntry>> }> {
    const latest = new Map<string, TokenWrite>();
    for (const write of writes) if (write.renewReuseKey) latest.set(write.renewReuseKey, write);
    if (latest.size === 0) return { stored: [], inBatch: [] };
    const stored: TokenRecord[] = [];
    for (const keys of inListChunks([...latest.keys()])) {
      // Both terms name the partial reuse-key index's condition, so the lookup uses it.
      stored.push(...(await selectRows(manager, TokenRecord, (params) => `"reuseKey" IN (${params.inList(keys)}) AND "revokedAt" IS NULL`)));
    }
    await markRevoked(manager, stored, 'renewed');
    const now = Date.now();
    const superseded: TokenRecord[] = [];
    for (const write of writes) {
      if (!write.renewReuseKey || latest.get(write.renewReuseKey) === write) continue;
      for (const row of write.rows) {
        row.revokedAt = now;
        row.revokeReason = 'renewed';
        superseded.push(row);
      }
    }
    return { stored: revokedEvents(stored, 'renewed'), inBatch: revokedEvents(superseded, 'renewed') };
  }
}

/** Marks rows revoked and records one tokens.revoked.v1 per access token, in the caller's transaction. */
export async function revokeRows(manager: EntityManager, rows: TokenRecord[], reason: TokenRevocationReason | 'rotated'): Promise<void> {
  await markRevoked(manager, rows, reason);
  if (reason === 'rotated') return;
  await insertRows(manager, OutboxEntry, revokedEvents(rows, reason));
}

/** The UPDATE half of a revocation: the caller records the events. */
async function markRevoked(manager: EntityManager, rows: TokenRecord[], reason: TokenRevocationReason | 'rotated'): Promise<void> {
  const now = Date.now();
  const ids = rows.map((row) => row.id);
  const table = quotedTable(manager.connection, TokenRecord);
  for (const chunk of inListChunks(ids)) {
    // Plain SQL: TypeORM writes numbers into the statement text, so each call compiled a new statement.
    const params = new SqlParams(manager.connection);
    await manager.query(
      `UPDATE ${table} SET "revokedAt" = ${params.add(now)}, "revokeReason" = ${params.add(reason)}, "encryptedToken" = NULL ` +
        `WHERE "id" IN (${params.inList(chunk)}) AND "revokedAt" IS NULL`,
      params.values,
    );
  }
}

/** One tokens.revoked.v1 per access token among the rows. */
function revokedEvents(rows: TokenRecord[], reason: TokenRevocationReason): Array<Partial<OutboxEntry>> {
  return rows
    .filter((row) => row.kind === 'access')
    .map((row) => encodeEvent('tokens.revoked.v1', { tokenId: row.id, applicationId: row.applicationId, consumerKey: row.consumerKey, reason }));
}
