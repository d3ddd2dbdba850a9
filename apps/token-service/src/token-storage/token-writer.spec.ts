import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenServiceConfig } from '@keymint/config';
import { decodeEvents, isEventProblem, MAX_PACK_BYTES, OutboxEntry } from '@keymint/messaging';
import { Database, insertRows, openDataSource, timeOrderedUuid } from '@keymint/persistence';
import { postgresTestDatabase, TestDatabase } from '../../../../test/support/postgres';
import { tokenRecord } from '../../test/token-records';
import { issuedEvent } from './token-events';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from './token-store.schema';
import { TokenRecord } from './token.entity';
import { REVOCATION_CHUNK_ROWS, TokenWriter } from './token-writer';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Values JSON.stringify escapes (quote, backslash, control characters) and characters beyond ASCII: SQL must write them as it does. */
const KEY_A = 'key "a" \\ \u0001\t\n é 😀';
const KEY_B = 'key-b';

/**
 * TOKEN_RENEW_PER_REQUEST: a renewal revokes the key's live tokens, and each revoked access token gets a
 * tokens.revoked.v1 in the same transaction. On PostgreSQL the revoking statement writes those events into the
 * outbox itself (made in SQL): they must be exactly what the TypeScript encoder makes, packed and headed as
 * `appendToOutbox` packs and heads events, and decode as consumers decode them. Revoking a whole consumer key
 * (a regenerated secret) takes every live token of it, however many, with one event.
 */
describe.each(['SQLite', 'PostgreSQL'] as const)('TokenWriter on %s', (store) => {
  let dir: string;
  let postgres: TestDatabase | null = null;
  let database: Database | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-token-writer-'));
    if (store === 'PostgreSQL') {
      postgres = await postgresTestDatabase();
      if (!postgres) return;
    }
    database = new Database(await openDataSource({ service: 'token', dataDir: dir, dbUrl: postgres?.url, entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS }));
  });
  afterEach(async () => {
    await database?.close();
    database = undefined;
    await postgres?.drop();
    postgres = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const writerWith = (eventsPerMessage: number) => new TokenWriter(database!, { EVENTS_PER_MESSAGE: eventsPerMessage } as TokenServiceConfig);

  /** One renewal of `consumerKey`'s token, written by the group commit, from a request of its own. */
  const renew = (writer: TokenWriter, consumerKey: string, requestId: string, applicationId = `app of ${consumerKey}`, reuseKey = `${consumerKey}\ndefault`) => {
    const row = tokenRecord({ id: timeOrderedUuid(), consumerKey, applicationId, reuseKey });
    const origin = { requestId };
    const written = writer.submit({ rows: [row], events: [issuedEvent(row, false, 'client_secret_basic', origin)], supersedes: row.reuseKey!, origin });
    return { row, requestId, written };
  };

  /** Every event in the outbox, row by row, as a consumer decodes it, with each event's request id from the row's headers. */
  const outbox = async () => {
    const rows = await database!.manager.find(OutboxEntry, { order: { id: 'ASC' } });
    return rows.map((row) => {
      const decoded = decodeEvents({ subject: row.subject, data: Buffer.from(row.body) });
      const problems = decoded.filter(isEventProblem);
      if (problems.length > 0) throw new Error(`outbox row ${row.id} does not decode: ${JSON.stringify(problems)}`);
      const events = decoded.map((event) => (event as { event: Record<string, unknown> }).event);
      const requestIds = row.headers ? (JSON.parse(row.headers) as Record<string, string[]>)['X-Request-Id'] : undefined;
      return { row, events, requestIds };
    });
  };

  it('writes a tokens.revoked.v1 for every token a renewal supersedes, byte for byte as the encoder writes it, with the request that superseded it', async () => {
    if (!database) return;
    const writer = writerWith(2);
    // Round 1: three renewals of key A and two of B in one group commit (nothing stored yet); round 2: the stored ones and the batch's own.
    const first = [renew(writer, KEY_A, 'a1'), renew(writer, KEY_A, 'a2'), renew(writer, KEY_B, 'b1'), renew(writer, KEY_A, 'a3'), renew(writer, KEY_B, 'b2')];
    await Promise.all(first.map((renewal) => renewal.written));
    const second = [renew(writer, KEY_B, 'b3'), renew(writer, KEY_A, 'a4'), renew(writer, KEY_A, 'a5')];
    await Promise.all(second.map((renewal) => renewal.written));

    // Who superseded whom: each token by the next renewal of its key.
    const expected = new Map<string, { requestId: string; consumerKey: string; applicationId: string }>();
    for (const key of [KEY_A, KEY_B]) {
      const ofKey = [...first, ...second].filter((renewal) => renewal.row.consumerKey === key);
      for (let index = 0; index + 1 < ofKey.length; index++) {
        expected.set(ofKey[index].row.id, { requestId: ofKey[index + 1].requestId, consumerKey: key, applicationId: ofKey[index].row.applicationId });
      }
    }

    const rows = await outbox();
    const revoked = rows.filter(({ row }) => row.subject === 'tokens.revoked.v1');
    const events = revoked.flatMap(({ events: ofRow, requestIds }) => ofRow.map((event, index) => ({ event, requestId: requestIds?.[index] })));
    expect(events.map(({ event }) => event.tokenId).sort()).toEqual([...expected.keys()].sort());
    for (const { event, requestId } of events) {
      const superseded = expected.get(event.tokenId as string)!;
      expect(event).toEqual({
        tokenId: event.tokenId,
        applicationId: superseded.applicationId,
        consumerKey: superseded.consumerKey,
        reason: 'renewed',
        eventId: expect.stringMatching(UUID_V7),
        occurredAt: expect.any(String),
      });
      // The encoder's order of fields (the payload's, then the event meta).
      expect(Object.keys(event)).toEqual(['tokenId', 'applicationId', 'consumerKey', 'reason', 'eventId', 'occurredAt']);
      expect(new Date(event.occurredAt as string).toISOString()).toBe(event.occurredAt);
      expect(requestId).toBe(superseded.requestId);
    }
    for (const { row, events: ofRow, requestIds } of revoked) {
      // The bytes: the fields in the encoder's order, strings escaped as JSON.stringify escapes them; a pack is the array of its events.
      const bodies = ofRow.map((event) => JSON.stringify(event));
      expect(row.body).toBe(bodies.length === 1 ? bodies[0] : `[${bodies.join(',')}]`);
      expect(ofRow.length).toBeLessThanOrEqual(2);
      expect(row.eventId).toMatch(UUID_V7);
      if (ofRow.length === 1) expect(row.eventId).toBe(ofRow[0].eventId);
      expect(row.headers).toBe(JSON.stringify({ 'X-Request-Id': requestIds }));
      expect(requestIds).toHaveLength(ofRow.length);
      expect(Math.abs(row.createdAt - Date.now())).toBeLessThan(60_000);
    }
    const ids = rows.flatMap(({ row, events: ofRow }) => [row.eventId, ...(ofRow.length > 1 ? ofRow.map((event) => event.eventId) : [])]);
    expect(new Set(ids).size).toBe(ids.length);
    // Every token issued has its event, and one token per key is left live.
    expect(rows.filter(({ row }) => row.subject === 'tokens.issued.v1').flatMap(({ events: ofRow }) => ofRow)).toHaveLength(first.length + second.length);
    const live = await database.manager.find(TokenRecord);
    expect(live.filter((row) => row.revokedAt === null).map((row) => row.id).sort()).toEqual([second[0].row.id, second[2].row.id].sort());
    expect(live.filter((row) => row.revokedAt !== null).every((row) => row.revokeReason === 'renewed' && row.encryptedToken === null)).toBe(true);
  });

  it('with EVENTS_PER_MESSAGE=1, writes events in the order of what happened: no token revoked before it was issued', async () => {
    if (!database) return;
    const writer = writerWith(1);
    await renew(writer, KEY_A, 'a0').written;
    // One group commit: the stored token superseded, then three tokens of which the first two are superseded in turn.
    await Promise.all([renew(writer, KEY_A, 'a1'), renew(writer, KEY_A, 'a2'), renew(writer, KEY_A, 'a3')].map((renewal) => renewal.written));
    const order = (await outbox()).flatMap(({ row, events: ofRow }) => ofRow.map((event) => `${row.subject === 'tokens.issued.v1' ? 'issued' : 'revoked'} ${String(event.tokenId)}`));
    const late = order.filter((entry, index) => entry.startsWith('revoked ') && !(order.indexOf(`issued ${entry.slice('revoked '.length)}`) < index));
    expect(order).toHaveLength(7);
    expect(late).toEqual([]);
  });

  it('writes one event per message with EVENTS_PER_MESSAGE=1, and no headers for events written outside any request', async () => {
    if (!database) return;
    const writer = writerWith(1);
    const row = (id: string) => tokenRecord({ id, consumerKey: KEY_B, applicationId: 'app-b', reuseKey: 'b\ndefault' });
    const [one, two] = [row(timeOrderedUuid()), row(timeOrderedUuid())];
    await writer.submit({ rows: [one], events: [], supersedes: 'b\ndefault' });
    await writer.submit({ rows: [two], events: [], supersedes: 'b\ndefault' });
    const rows = await outbox();
    expect(rows).toHaveLength(1);
    expect(rows[0].row).toMatchObject({ subject: 'tokens.revoked.v1', headers: null, eventId: rows[0].events[0].eventId });
    expect(rows[0].events).toEqual([expect.objectContaining({ tokenId: one.id, consumerKey: KEY_B, applicationId: 'app-b', reason: 'renewed' })]);
  });

  it('keeps every pack of revocations under MAX_PACK_BYTES, whatever the setting', async () => {
    if (!database) return;
    const writer = writerWith(1000);
    // Events of ~2,000 characters once escaped: 150 of them are more than one pack may carry.
    const wide = '\u0001'.repeat(200);
    const renewals = Array.from({ length: 150 }, (_, index) => renew(writer, wide, `r${index}`, '\u0002'.repeat(100), 'wide\ndefault'));
    await Promise.all(renewals.map((renewal) => renewal.written));
    const renewedAgain = renew(writer, wide, 'last', '\u0002'.repeat(100), 'wide\ndefault');
    await renewedAgain.written;
    const revoked = (await outbox()).filter(({ row }) => row.subject === 'tokens.revoked.v1');
    expect(revoked.length).toBeGreaterThan(1);
    for (const { row } of revoked) expect(Buffer.byteLength(row.body)).toBeLessThanOrEqual(MAX_PACK_BYTES);
    expect(revoked.flatMap(({ events }) => events.map((event) => event.tokenId)).sort()).toEqual(renewals.map((renewal) => renewal.row.id).sort());
  });

  it('rejects the writes of a failed group commit and no others, leaving no failure unhandled (one would end the service)', async () => {
    if (!database) return;
    const writer = writerWith(100);
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const id = timeOrderedUuid();
      const duplicate = () => tokenRecord({ id, consumerKey: KEY_B, applicationId: 'app-b', reuseKey: 'b\ndefault' });
      const failed = await Promise.allSettled([writer.submit({ rows: [duplicate()], events: [], supersedes: 'b\ndefault' }), writer.submit({ rows: [duplicate()], events: [] })]);
      expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      const next = renew(writer, KEY_B, 'after');
      await next.written;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
      expect((await database.manager.find(TokenRecord)).map((row) => row.id)).toEqual([next.row.id]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('revokes every live token of the key, past one round of statements, with one event, and no other key\'s', async () => {
    if (!database) return;
    const writer = new TokenWriter(database, { EVENTS_PER_MESSAGE: 100 } as TokenServiceConfig);
    const rows = (count: number, changes: Parameters<typeof tokenRecord>[0] extends infer C ? Omit<C, 'id'> : never) =>
      Array.from({ length: count }, () => tokenRecord({ id: timeOrderedUuid(), ...changes }));
    const leaked = rows(REVOCATION_CHUNK_ROWS * 2 + 7, { consumerKey: 'leaked-key', applicationId: 'app-a' });
    const earlier = rows(3, { consumerKey: 'leaked-key', applicationId: 'app-a', revokedAt: 1, revokeReason: 'revoked_by_client' });
    const other = rows(5, { consumerKey: 'other-key', applicationId: 'app-a' });
    await database.transaction((manager) => insertRows(manager, TokenRecord, [...leaked, ...earlier, ...other]));

    await database.transaction((manager) => writer.revokeConsumerKeyInTransaction(manager, 'leaked-key', 'app-a', 'secret_regenerated', { requestId: 'regenerate' }));

    const reasons = async (consumerKey: string) =>
      (await database!.manager.query(
        `SELECT "revokeReason" AS reason, COUNT(*) AS count FROM token_tokens WHERE "consumerKey" = '${consumerKey}' GROUP BY "revokeReason" ORDER BY "revokeReason"`,
      )) as Array<{ reason: string | null; count: string | number }>;
    expect((await reasons('leaked-key')).map(({ reason, count }) => [reason, Number(count)])).toEqual([
      ['revoked_by_client', 3],
      ['secret_regenerated', REVOCATION_CHUNK_ROWS * 2 + 7],
    ]);
    expect((await reasons('other-key')).map(({ reason, count }) => [reason, Number(count)])).toEqual([[null, 5]]);
    // One event for the whole key: no tokenId.
    const events = (await database.manager.find(OutboxEntry)).map((row) => ({ subject: row.subject, ...(JSON.parse(row.body) as Record<string, unknown>) }));
    expect(events).toEqual([expect.objectContaining({ subject: 'tokens.revoked.v1', tokenId: null, consumerKey: 'leaked-key', reason: 'secret_regenerated' })]);
  }, 60_000);
});
