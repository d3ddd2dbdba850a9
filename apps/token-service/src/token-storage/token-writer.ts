import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { TokenRevocationReason } from '@keymint/contracts';
import { appendToOutbox, EventOrigin, eventOriginOf, outboxInsertOfEventsSql, OutboxRow } from '@keymint/messaging';
import { allAnswered, BatchWriter, Database, handled, inListChunks, insertRows, quotedTable, SqlParams, SqlRunner, Statements, timeOrderedUuidPrefix } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { keyRevokedEvent, revokedEventBodySql, revokedEvents } from './token-events';
import { TokenRecord } from './token.entity';

/** Live tokens of a consumer key revoked per round (revokeConsumerKeyInTransaction): each round's statements stay short. */
export const REVOCATION_CHUNK_ROWS = 10_000;

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
 * trip, also when it renews (one statement revokes the tokens and writes
 * their events into the outbox).
 */
@Injectable()
export class TokenWriter {
  private readonly batches: BatchWriter<TokenWrite>;
  private readonly eventsPerMessage: number;
  private readonly postgres: boolean;

  constructor(@Inject(Database) database: Database, @Inject(CONFIG) config: TokenServiceConfig) {
    // The group commit does not wait for the answers: the transaction does (pipelinedTransaction).
    this.batches = new BatchWriter<TokenWrite>(database, (statements, writes) => this.give(statements, writes, []), 500);
    this.eventsPerMessage = config.EVENTS_PER_MESSAGE;
    this.postgres = database.postgres;
  }

  /** Group commit: resolves once the write is committed with others of the moment. */
  submit(write: TokenWrite): Promise<void> {
    return this.batches.submit(write);
  }

  async writeInTransaction(statements: Statements, writes: TokenWrite[]): Promise<void> {
    const answers: Array<Promise<unknown>> = [];
    await this.give(statements, writes, answers);
    await allAnswered(answers);
  }

  /**
   * Gives the statements of these writes, and resolves once the last is given; their answers go into
   * `answers` (marked handled: the group commit leaves them to its transaction, which awaits every statement).
   * The revocation goes first: after the INSERT it would revoke this batch's own live tokens too.
   */
  private async give(statements: Statements, writes: TokenWrite[], answers: Array<Promise<unknown>>): Promise<void> {
    const answer = (...pending: Array<Promise<unknown>>) => answers.push(...pending.map(handled));
    const renewals = renewalsOf(writes);
    const issued = writes.flatMap((write) => write.events);
    const rows = writes.flatMap((write) => write.rows);
    // Events in the order of what happened (the relay publishes in outbox order): stored tokens superseded, these
    // tokens issued, those of them superseded in turn.
    if (renewals.keys.length > 0 && this.postgres) answer(this.supersedeWithEvents(statements, renewals));
    if (renewals.keys.length === 0 || this.postgres) {
      answer(insertRows(statements, TokenRecord, rows), this.appendEvents(statements, [...issued, ...renewals.inBatch]));
      return;
    }
    const revoking = this.supersede(statements, renewals);
    answer(revoking, insertRows(statements, TokenRecord, rows));
    const stored = await revoking;
    answer(this.appendEvents(statements, [...stored, ...issued, ...renewals.inBatch]));
  }

  /** Revokes rows (tokens.revoked.v1 for each access token among them), for the request `origin`. */
  async revokeInTransaction(manager: EntityManager, rows: TokenRecord[], reason: TokenRevocationReason, origin: RequestContext | undefined): Promise<void> {
    await markRevoked(manager, rows, reason);
    await this.appendEvents(manager, revokedEvents(rows, reason, origin));
  }

  /**
   * Revokes every live token of a consumer key with one event for them all, for the request `origin`. In chunks of
   * REVOCATION_CHUNK_ROWS: a key that is given a new JWT for every request can have millions of live tokens, and
   * on PostgreSQL every statement must answer within the store's answer timeout (POSTGRES_ANSWER_TIMEOUT_MS), or
   * the revocation after a leaked secret would fail for good.
   */
  async revokeConsumerKeyInTransaction(
    manager: EntityManager,
    consumerKey: string,
    applicationId: string,
    reason: TokenRevocationReason,
    origin: RequestContext | undefined,
  ): Promise<void> {
    const table = quotedTable(manager.connection, TokenRecord);
    const now = Date.now();
    for (;;) {
      const params = new SqlParams(manager.connection);
      // Both terms of the live consumer-key index's condition, so the lookup uses it.
      const live = (await manager.query(
        `SELECT "id" FROM ${table} WHERE "consumerKey" = ${params.add(consumerKey)} AND "revokedAt" IS NULL LIMIT ${REVOCATION_CHUNK_ROWS}`,
        params.values,
      )) as Array<{ id: string }>;
      await markRevoked(manager, live, reason, now);
      if (live.length < REVOCATION_CHUNK_ROWS) break;
    }
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
   * requests had been written one after another; resolves with the events of
   * the stored tokens it revoked. SQLite's way: it cannot write them in the
   * same statement (`supersedeWithEvents`).
   */
  private async supersede(statements: Statements, renewals: Renewals): Promise<OutboxRow[]> {
    const params = new SqlParams(statements.connection);
    const revoked = await statements.query<RevokedRow>(
      `${this.revokingUpdate(statements, params, renewals.now, renewals.keys)} RETURNING "id", "kind", "applicationId", "consumerKey", "reuseKey"`,
      params.values,
    );
    // A batch renews up to 500 keys: each revoked row finds its key's origin in a map, not by a scan of the keys.
    const originOf = new Map(renewals.keys.map((key, index) => [key, renewals.origins[index]]));
    return revoked.flatMap((row) => revokedEvents([row], 'renewed', originOf.get(row.reuseKey)));
  }

  /**
   * The same on PostgreSQL, and the revocations' events written into the outbox by the same statement (a
   * data-modifying CTE): the tokens.revoked.v1 body of each revoked stored token made in SQL exactly as
   * `revokedEvents` (`encodeEvent`) makes it, packed and given headers as `appendToOutbox` would
   * (`outboxInsertOfEventsSql`). So the batch needs no round trip for the revoked rows before their events
   * can be written. The batch's own superseded tokens' events (`renewalsOf`) are appended after the issued
   * ones, as on SQLite: a token's revocation is never published before its issue.
   */
  private supersedeWithEvents(statements: Statements, renewals: Renewals): Promise<unknown> {
    const params = new SqlParams(statements.connection);
    const keys = params.add(renewals.keys);
    const update = this.revokingUpdate(statements, params, renewals.now, renewals.keys, keys);
    const origins = (list: ReadonlyArray<EventOrigin | undefined>) =>
      [list.map((origin) => origin?.requestId ?? ''), list.map((origin) => origin?.traceparent ?? ''), list.map((origin) => origin?.tracestate ?? '')].map(
        (values) => `${params.add(values)}::text[]`,
      );
    const sql =
      `WITH revoked AS (${update} RETURNING "id", "kind", "applicationId", "consumerKey", "reuseKey"), ` +
      `stored AS (SELECT key.ord AS sort, ${params.add(timeOrderedUuidPrefix(renewals.now))} || substr(gen_random_uuid()::text, 16) AS event_id, ` +
      `revoked."id", revoked."applicationId", revoked."consumerKey", key.request_id, key.traceparent, key.tracestate ` +
      `FROM revoked JOIN unnest(${keys}::text[], ${origins(renewals.origins.map(eventOriginOf)).join(', ')}) WITH ORDINALITY AS key(reuse_key, request_id, traceparent, tracestate, ord) ` +
      `ON key.reuse_key = revoked."reuseKey" WHERE revoked."kind" = 'access'), ` +
      `events AS (SELECT sort, event_id, ${revokedEventBodySql(params, 'renewed', new Date(renewals.now).toISOString())} AS body, request_id, traceparent, tracestate FROM stored)` +
      outboxInsertOfEventsSql(statements, params, 'events', 'tokens.revoked.v1', this.eventsPerMessage, renewals.now);
    return statements.query(sql, params.values);
  }

  /** `UPDATE … SET` revoked as 'renewed' `WHERE` a live token of one of the keys (both terms of the partial reuse-key index's condition, so it is used). */
  private revokingUpdate(statements: Statements, params: SqlParams, now: number, keys: string[], keysParameter?: string): string {
    return (
      `UPDATE ${quotedTable(statements.connection, TokenRecord)} SET "revokedAt" = ${params.add(now)}, "revokeReason" = ${params.add('renewed')}, "encryptedToken" = NULL ` +
      `WHERE "reuseKey" ${keysParameter ? `= ANY(${keysParameter}::text[])` : params.anyOf(keys)} AND "reuseKey" IS NOT NULL AND "revokedAt" IS NULL`
    );
  }
}

type RevokedRow = Pick<TokenRecord, 'id' | 'kind' | 'applicationId' | 'consumerKey'> & { reuseKey: string };

/** What a batch renews: the reuse keys, each with the origin of its first renewal (the one that supersedes the stored tokens), and the events of the batch's own tokens superseded by a later one of it. */
interface Renewals {
  now: number;
  keys: string[];
  origins: Array<RequestContext | undefined>;
  inBatch: OutboxRow[];
}

/**
 * Per reuse key, every token of the batch but the last is superseded by the next one of its key: marked
 * revoked before it is inserted, with its event (whose origin is the request that superseded it).
 */
function renewalsOf(writes: TokenWrite[]): Renewals {
  const now = Date.now();
  const next = new Map<string, TokenWrite>();
  const inBatch: OutboxRow[][] = [];
  for (let index = writes.length - 1; index >= 0; index--) {
    const write = writes[index];
    if (!write.supersedes) continue;
    const successor = next.get(write.supersedes);
    next.set(write.supersedes, write);
    if (!successor) continue;
    for (const row of write.rows) {
      row.revokedAt = now;
      row.revokeReason = 'renewed';
    }
    inBatch.push(revokedEvents(write.rows, 'renewed', successor.origin));
  }
  const keys = [...next.keys()].reverse();
  return { now, keys, origins: keys.map((key) => next.get(key)!.origin), inBatch: inBatch.reverse().flat() };
}

/** The UPDATE half of a revocation. */
async function markRevoked(manager: EntityManager, rows: ReadonlyArray<Pick<TokenRecord, 'id'>>, reason: TokenRevocationReason, now = Date.now()): Promise<void> {
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
