import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsumedEvent, MAX_PACK_BYTES, MAX_PACK_HEADER_BYTES, OutboxEntry, appendToOutbox, outboxInsertOfEventsSql } from '@keymint/messaging';
import { Database, SqlParams } from '@keymint/persistence';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { freePort, waitFor } from '../../../scripts/lib/ports';
import { postgresTestDatabase, TestDatabase } from '../../../test/support/postgres';
import { outboxToCountingConsumer } from './messaging-test-kit';
import { headerBytes, messageBytes, WIDE_ORIGIN, wideEvents } from './wide-events';

const EVENTS = 1000;

/**
 * Packs of 1,000 events (EVENTS_PER_MESSAGE's largest) that carry the widest headers (the longest request id,
 * trace context) and text beyond ASCII: packed by their bodies' characters alone, such a pack made a message of
 * ~1.2 MB, which nats-server refuses (max_payload, 1 MB by default), with ~780 KB of headers, which JetStream
 * refuses whatever max_payload is (64 KiB at most), and the relay retried it forever with every later event behind it. Each pack's whole message now stays under MAX_PACK_BYTES, as `appendToOutbox` packs
 * and as PostgreSQL packs in SQL (`outboxInsertOfEventsSql`); and a server configured with a max_payload below
 * a pack still gets every event, once, as the relay publishes the pack in parts.
 */
describe.each(['SQLite', 'PostgreSQL'] as const)('wide packs of events on %s', (store) => {
  let dir: string;
  let databases: Array<TestDatabase> = [];
  let skipped = false;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-wide-packs-'));
    if (store === 'PostgreSQL') {
      const producer = await postgresTestDatabase();
      const consumer = producer && (await postgresTestDatabase());
      skipped = !producer || !consumer;
      databases = [producer, consumer].filter((database): database is TestDatabase => Boolean(database));
    }
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    for (const database of databases) await database.drop();
    databases = [];
    rmSync(dir, { recursive: true, force: true });
  });

  /** A nats-server of its own; `maxPayload` sets its message limit (the default is 1 MB). */
  async function natsServer(maxPayload?: number): Promise<NatsServerProcess> {
    let configFile: string | undefined;
    if (maxPayload !== undefined) {
      configFile = join(dir, 'nats.conf');
      writeFileSync(configFile, `max_payload: ${maxPayload}\n`);
    }
    const server = new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log'), configFile });
    await server.start();
    cleanups.push(() => server.stop());
    return server;
  }

  /** The events written as the token service writes them: packed by `appendToOutbox`, and on PostgreSQL also in SQL. */
  async function writeWideEvents(database: Database): Promise<string[]> {
    const packedInTypeScript = wideEvents(EVENTS, 'ts');
    await database.pipelinedTransaction((statements) => appendToOutbox(statements, packedInTypeScript, EVENTS));
    if (!database.postgres) return packedInTypeScript.map((row) => row.eventId);
    const packedInSql = wideEvents(EVENTS, 'sql');
    await database.pipelinedTransaction(async (statements) => {
      const params = new SqlParams(statements.connection);
      const column = (values: string[]) => `${params.add(values)}::text[]`;
      const events =
        `WITH events AS (SELECT ord AS sort, event_id, body, request_id, traceparent, tracestate FROM unnest(` +
        `${column(packedInSql.map((row) => row.eventId))}, ${column(packedInSql.map((row) => row.body))}, ${column(packedInSql.map(() => WIDE_ORIGIN.requestId!))}, ` +
        `${column(packedInSql.map(() => WIDE_ORIGIN.traceparent!))}, ${column(packedInSql.map(() => WIDE_ORIGIN.tracestate!))}) ` +
        `WITH ORDINALITY AS event(event_id, body, request_id, traceparent, tracestate, ord))`;
      void statements.query(events + outboxInsertOfEventsSql(statements, params, 'events', 'tokens.revoked.v1', EVENTS, Date.now()), params.values);
    });
    return [...packedInTypeScript, ...packedInSql].map((row) => row.eventId);
  }

  /** Writes the events, relays them to `server` and consumes them: each event must arrive exactly once. */
  async function relayedExactlyOnce(server: NatsServerProcess): Promise<OutboxEntry[]> {
    const { producerDb, consumerDb, relay, consumer, seen } = await outboxToCountingConsumer(
      server.url,
      dir,
      'wide-packs',
      { producer: databases[0]?.url, consumer: databases[1]?.url },
      (cleanup) => cleanups.push(cleanup),
    );
    const written = await writeWideEvents(producerDb);
    const packs = await producerDb.manager.find(OutboxEntry, { order: { id: 'ASC' } });

    relay.start();
    consumer.start();

    await waitFor(async () => seen.size >= written.length, 60_000, `${written.length} consumed events`, 200);
    // Anything published twice would show a moment later.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(written.filter((eventId) => !seen.has(eventId))).toEqual([]);
    expect([...seen.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(seen.size).toBe(written.length);
    expect(await consumerDb.manager.count(ConsumedEvent)).toBe(written.length);
    await waitFor(async () => (await producerDb.manager.count(OutboxEntry)) === 0, 10_000, 'an empty outbox');
    return packs;
  }

  it('keeps every pack under MAX_PACK_BYTES on the wire and its headers under JetStream\'s limit, and publishes and counts every event exactly once', async () => {
    if (skipped) return;
    const packs = await relayedExactlyOnce(await natsServer());
    expect(packs.length).toBeGreaterThan(2);
    expect(Math.max(...packs.map(messageBytes))).toBeLessThanOrEqual(MAX_PACK_BYTES);
    expect(Math.max(...packs.map(headerBytes))).toBeLessThanOrEqual(MAX_PACK_HEADER_BYTES);
  }, 120_000);

  it('gets every event to a server whose max_payload is below a pack, exactly once', async () => {
    if (skipped) return;
    // Below these packs (~50 KB each: their headers end them first).
    const maxPayload = 32 * 1024;
    const packs = await relayedExactlyOnce(await natsServer(maxPayload));
    // The packs were larger than the server takes: the relay published them in parts.
    expect(packs.some((pack) => messageBytes(pack) > maxPayload)).toBe(true);
  }, 120_000);
});
