import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers as natsHeaders, nanos } from 'nats';
import { DUPLICATE_WINDOW_MS, EventSubject, ReceivedEvent, REGISTRY_STREAM, StreamDefinition, TOKENS_STREAM } from '@keymint/contracts';
import { Database, insertRows, quotedTable, selectRows, timeOrderedUuid } from '@keymint/persistence';
import { ConsumedEvent, DurableConsumer, NatsClient } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { waitFor } from '../../../scripts/lib/ports';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { sampleEvent } from '../../contracts/test/event-samples';
import { connectOpen, messagingStore, startNatsWithStreams } from './messaging-test-kit';

const HOUR_MS = 3600_000;

/**
 * TOKEN_EVENT_RETENTION: the TOKENS stream keeps messages that long
 * (max_age) and its consumers forget the eventIds they applied longer ago,
 * in chunks, keeping the recent ones (which still guard against duplicates)
 * and other consumers' ones. REGISTRY keeps everything, ids included.
 */
describe('token event retention', () => {
  let dir: string;
  let nats: NatsServerProcess;
  let client: NatsClient;
  let database: Database;
  let consumer: DurableConsumer | undefined;
  let retained: NatsClient | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-retention-'));
    // Streams as an earlier release created them: no max_age.
    ({ server: nats, client } = await startNatsWithStreams(dir, 'retention-test'));
    database = await messagingStore('analytics', dir);
  });

  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await retained?.close();
    await client.close();
    await database.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const maxAge = async (stream: StreamDefinition) => (await (await client.manager()).streams.info(stream.name)).config.max_age;

  async function publish(subject: EventSubject): Promise<void> {
    const headers = natsHeaders();
    const event = sampleEvent(subject);
    headers.set('Nats-Msg-Id', event.eventId);
    await client.jetStream.publish(subject, Buffer.from(JSON.stringify(event)), { headers });
  }

  /** `count` consumed ids of `name`, applied `ageMs` ago (the newest first). */
  const consumedRows = (name: string, count: number, ageMs: number) =>
    Array.from({ length: count }, (_, i) => {
      const consumedAt = Date.now() - ageMs - i;
      return { eventId: timeOrderedUuid(consumedAt), consumer: name, consumedAt };
    });

  const storedIds = async (store: Database) => new Set((await store.transaction((manager) => selectRows(manager, ConsumedEvent, () => '1 = 1'))).map((row) => row.eventId));

  /** A consumer on `stream` whose applied events land in `applied`, with the bus setting `retentionSeconds`. */
  async function startConsumer(store: Database, stream: StreamDefinition, durable: string, applied: ReceivedEvent[], retentionSeconds = 3600): Promise<void> {
    retained = await connectOpen(nats.url, `${durable}-client`, { retentionSeconds });
    // Set by the service that manages the stream (the token service); consumers only read it.
    await retained.ensureStreams();
    consumer = new DurableConsumer(retained, store, { stream, durable }, async (_manager, events) => {
      applied.push(...events);
    });
    consumer.start();
  }

  it('brings the max_age of an existing TOKENS stream to the retention and back to unlimited with 0, and never limits REGISTRY', async () => {
    expect(await maxAge(TOKENS_STREAM)).toBe(0);

    retained = await connectOpen(nats.url, 'retention-test-7d', { retentionSeconds: 7 * 24 * 3600 });
    await retained.ensureStreams();
    expect(await maxAge(TOKENS_STREAM)).toBe(nanos(7 * 24 * HOUR_MS));
    expect(await maxAge(REGISTRY_STREAM)).toBe(0);
    expect((await (await client.manager()).streams.info(TOKENS_STREAM.name)).config.duplicate_window).toBe(nanos(DUPLICATE_WINDOW_MS));

    await client.ensureStreams();
    expect(await maxAge(TOKENS_STREAM)).toBe(0);
  });

  // On both stores: the forgetting is plain SQL (a LIMITed select, then DELETE … IN).
  it.each(['SQLite', 'PostgreSQL'])(
    'forgets the ids applied longer ago than the stream keeps messages, in chunks, keeps the rest, and goes on consuming (%s)',
    async (storeName) => {
      let store = database;
      let dropPostgres: (() => Promise<void>) | undefined;
      if (storeName === 'PostgreSQL') {
        const created = await postgresTestDatabase();
        if (!created) return;
        dropPostgres = created.drop;
        store = await messagingStore('analytics', dir, created.url);
      }
      try {
        // More than two chunks of expired ids, so forgetting them takes several rounds.
        const expired = consumedRows('retention-test', 12_000, 2 * HOUR_MS);
        const recent = consumedRows('retention-test', 50, 10 * 60_000);
        const othersExpired = consumedRows('another-consumer', 50, 2 * HOUR_MS);
        await store.transaction(async (manager) => {
          for (const rows of [expired, recent, othersExpired]) await insertRows(manager, ConsumedEvent, rows);
        });
        const applied: ReceivedEvent[] = [];
        await startConsumer(store, TOKENS_STREAM, 'retention-test', applied);
        for (let i = 0; i < 3; i += 1) await publish('tokens.revoked.v1');

        await waitFor(async () => (await storedIds(store)).size === recent.length + othersExpired.length + 3, 20_000, 'the expired ids forgotten', 100);
        const kept = await storedIds(store);
        expect([...recent, ...othersExpired].every((row) => kept.has(row.eventId))).toBe(true);
        expect(applied).toHaveLength(3);
        expect(applied.every((event) => kept.has(event.event.eventId))).toBe(true);
      } finally {
        if (dropPostgres) {
          await consumer?.stop();
          consumer = undefined;
          await store.close();
          await dropPostgres();
        }
      }
    },
    60_000,
  );

  it('forgets nothing on a stream that keeps every message (REGISTRY)', async () => {
    const old = consumedRows('registry-test', 20, 30 * 24 * HOUR_MS);
    await database.transaction((manager) => insertRows(manager, ConsumedEvent, old));
    const applied: ReceivedEvent[] = [];
    await startConsumer(database, REGISTRY_STREAM, 'registry-test', applied);
    await publish('registry.user.created.v1');
    // The consuming loop looks for ids to forget before each fetch, so once the event is in, it has looked.
    await waitFor(async () => applied.length === 1, 20_000, 'the registry event applied', 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const kept = await storedIds(database);
    expect(old.every((row) => kept.has(row.eventId))).toBe(true);
  });

  it('goes on consuming when forgetting fails', async () => {
    await database.transaction((manager) => insertRows(manager, ConsumedEvent, consumedRows('retention-test', 10, 2 * HOUR_MS)));
    const table = quotedTable(database.dataSource, ConsumedEvent);
    await database.dataSource.query(`CREATE TRIGGER no_forgetting BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'deletes refused'); END`);
    const applied: ReceivedEvent[] = [];
    await startConsumer(database, TOKENS_STREAM, 'retention-test', applied);
    for (let i = 0; i < 3; i += 1) await publish('tokens.issued.v1');
    await waitFor(async () => applied.length === 3, 20_000, 'the events applied despite the failing cleanup', 50);
    expect((await storedIds(database)).size).toBe(13);
  });
});
