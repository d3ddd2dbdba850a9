import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { TokenRevocationReason } from '@keymint/contracts';
import { appendToOutbox, OutboxRow } from '@keymint/messaging';
import { allAnswered, BatchWriter, Database, inListChunks, insertRows, quotedTable, SqlParams, SqlRunner, Statements } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { keyRevokedEvent, revokedEvents } from './token-events';
import { TokenRecord } from './token.entity';

/** One token response's writes: its rows and events, committed together. */
export interface TokenWrite {
  rows: TokenRecord[];
  events: OutboxRow[];
  /**
   * A reuse key whose live tokens this one replaces (TOKEN_RENEW_PER_REQUEST):
   * they are revoked ('renewed') in the same transaction.
   */
  supersedes?: string;
  /** The request of this write: the revocations of the tokens its token supersedes carry it (their events' origin). */
  origin?: RequestContext;
}

/**
 * The one way token state is written: every token row, every revocation and
 * every tokens.* event go through here, the events into the outbox in the
 * same transaction, packed EVENTS_PER_MESSAGE to a message. Responses that
 * need nothing else share one transaction (group commit, `submit`); the
 * reuse claim and refresh rotation, which must check the store first, write
 * the same way inside their own transaction (`writeInTransaction`, with
 * `statementsIn(manager)`). A group commit's statements are sent without
 * waiting for one another: on PostgreSQL the whole transaction is one round
 * trip, two when it renews (the revoked rows come back before their events
 * are written).
 */
@Injectable()
export class TokenWriter {
  private readonly batches: BatchWriter<TokenWrite>;
  private readonly eventsPerMessage: number;

  constructor(@Inject(Database) database: Database, @Inject(CONFIG) config: TokenServiceConfig) {
    this.batches = new BatchWriter<TokenWrite>(database, (statements, writes) => this.writeInTransaction(statements, writes), 500);
    this.eventsPerMessage = config.EVENTS_PER_MESSAGE;
  }

  /** Group commit: resolves once the write is committed with others of the moment. */
  submit(write: TokenWrite): Promise<void> {
    return this.batches.submit(write);
  }

  async writeInTransaction(statements: Statements, writes: TokenWrite[]): Promise<void> {
    // The revocation is sent first: after the INSERT it would revoke this batch's own live tokens too.
    const superseding = this.supersede(statements, writes);
    const inserted = insertRows(statements, TokenRecord, writes.flatMap((write) => write.rows));
    // In the order of what happened: stored tokens superseded, these tokens issued, those of them superseded in turn.
    const appended = superseding.then((superseded) =>
      this.appendEvents(statements, [...superseded.stored, ...writes.flatMap((write) => write.events), ...superseded.inBatch]),
    );
    await allAnswered([superseding, inserted, appended]);
  }

  /** Revokes rows (tokens.revoked.v1 for each access token among them), for the request `origin`. */
  async revokeInTransaction(manager: EntityManager, rows: TokenRecord[], reason: TokenRevocationReason, origin: RequestContext | undefined): Promise<void> {
    await markRevoked(manager, rows, reason);
    await this.appendEvents(manager, revokedEvents(rows, reason, origin));
  }

  /** Revokes every live token of a consumer key with one event for them all, for the request `origin`. */
  async revokeConsumerKeyInTransaction(
    manager: EntityManager,
    consumerKey: string,
    applicationId: string,
    reason: TokenRevocationReason,
    origin: RequestContext | undefined,
  ): Promise<void> {
    await manager.update(TokenRecord, { consumerKey, revokedAt: IsNull() }, { revokedAt: Date.now(), revokeReason: reason, encryptedToken: null });
    await this.appendEvents(manager, [keyRevokedEvent(consumerKey, applicationId, reason, origin)]);
  }

  /** Refresh rotation: retires a used refresh token; false when another request got there first. No event: nothing a consumer counts. */
  async rotateInTransaction(manager: EntityManager, refreshTokenId: string): Promise<boolean> {
    const result = await manager.update(TokenRecord, { id: refreshTokenId, revokedAt: IsNull() }, { revokedAt: Date.now(), revokeReason: 'rotated' });
    return (result.affected ?? 0) === 1;
  }

  /** A reusable token that lost its reuse slot is not handed out again: it leaves the reuse-key index and its ciphertext goes. */
  async retireFromReuseInTransaction(manager: EntityManager, tokenId: string): Promise<void> {
    await manager.update(TokenRecord, { id: tokenId }, { reuseKey: null, encryptedToken: null });
  }

  private async appendEvents(manager: SqlRunner, events: OutboxRow[]): Promise<void> {
    await appendToOutbox(manager, events, this.eventsPerMessage);
  }

  /**
   * TOKEN_RENEW_PER_REQUEST: each new token revokes the earlier ones of its
   * key and scope set. For a whole batch that is, per reuse key: every token
   * already stored, and every token of the batch but the last. Done with one
   * statement per batch (an UPDATE that returns the rows it revoked), as if the
   * requests had been written one after another. The statement is sent before
   * this returns its promise.
   *
   * Each revocation's event carries the origin of the request whose token
   * superseded the revoked one (not of the request that happened to start the
   * group commit): a stored token's, the first write of the batch for its reuse
   * key; a token of the batch's, the next write for the same key.
   */
  private async supersede(statements: Statements, writes: TokenWrite[]): Promise<{ stored: OutboxRow[]; inBatch: OutboxRow[] }> {
    const first = new Map<string, TokenWrite>();
    const latest = new Map<string, TokenWrite>();
    for (const write of writes) {
      if (!write.supersedes) continue;
      if (!first.has(write.supersedes)) first.set(write.supersedes, write);
      latest.set(write.supersedes, write);
    }
    if (latest.size === 0) return { stored: [], inBatch: [] };
    const now = Date.now();
    const params = new SqlParams(statements.connection);
    // One statement whatever the number of keys (a batch has at most 500). Both terms of the partial
    // reuse-key index's condition, so the lookup uses it.
    const revoking = statements.query<Pick<TokenRecord, 'id' | 'kind' | 'applicationId' | 'consumerKey' | 'reuseKey'>>(
      `UPDATE ${quotedTable(statements.connection, TokenRecord)} SET "revokedAt" = ${params.add(now)}, "revokeReason" = ${params.add('renewed')}, "encryptedToken" = NULL ` +
        `WHERE "reuseKey" ${params.anyOf([...latest.keys()])} AND "reuseKey" IS NOT NULL AND "revokedAt" IS NULL ` +
        `RETURNING "id", "kind", "applicationId", "consumerKey", "reuseKey"`,
      params.values,
    );
    // In write order: each write's tokens are superseded by the next write for the same key (`previous`).
    const inBatch: OutboxRow[] = [];
    const previous = new Map<string, TokenWrite>();
    for (const write of writes) {
      if (!write.supersedes) continue;
      const superseded = previous.get(write.supersedes);
      previous.set(write.supersedes, write);
      if (!superseded) continue;
      for (const row of superseded.rows) {
        row.revokedAt = now;
        row.revokeReason = 'renewed';
      }
      inBatch.push(...revokedEvents(superseded.rows, 'renewed', write.origin));
    }
    const stored = (await revoking).flatMap((row) => revokedEvents([row], 'renewed', row.reuseKey === null ? undefined : first.get(row.reuseKey)?.origin));
    return { stored, inBatch };
  }
}

/** The UPDATE half of a revocation. */
async function markRevoked(manager: EntityManager, rows: TokenRecord[], reason: TokenRevocationReason): Promise<void> {
  const now = Date.now();
  const table = quotedTable(manager.connection, TokenRecord);
  for (const chunk of inListChunks(rows.map((row) => row.id))) {
    // Plain SQL: TypeORM writes numbers into the statement text, so each call compiled a new statement.
    const params = new SqlParams(manager.connection);
    await manager.query(
      `UPDATE ${table} SET "revokedAt" = ${params.add(now)}, "revokeReason" = ${params.add(reason)}, "encryptedToken" = NULL ` +
        `WHERE "id" IN (${params.inList(chunk)}) AND "revokedAt" IS NULL`,
      params.values,
    );
  }
}
