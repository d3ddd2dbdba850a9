import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nanos } from 'nats';
import { REGISTRY_STREAM, TOKENS_STREAM } from '@keymint/contracts';
import { Database, insertRows, openDataSource, selectRows, timeOrderedUuid } from '@keymint/persistence';
import { ConsumedEvent, DurableConsumer, MESSAGING_ENTITIES, NatsClient } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { waitFor } from '../../../scripts/lib/ports';
import { createTestDatabase, postgresAdminUrl } from '../../../test/support/postgres';
import { MessagingTables1700000000000, startNatsWithStreams } from './messaging-test-kit';

const HOUR_MS = 3600_000;

/**
 * EVENT_RETENTION: the streams keep messages that long (max_age), and a
 * consumer forgets the eventIds it applied longer ago than that, in chunks,
 * keeping the recent ones (which still guard against duplicates) and other
 * consumers' ones.
 */
describe('event retention', () => {
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
    database = new Database(
      await openDataSource({ service: 'analytics', dataDir: dir, entities: MESSAGING_ENTITIES, migrations: [MessagingTables1700000000000] }),
    );
  });

  afterEach(async () => {
    await consumer?.stop();
    await retained?.close();
    await client.close();
    await database.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings the max_age of existing streams to the retention, and back to unlimited with 0', async () => {
    const manager = await client.manager();
    for (const stream of [TOKENS_STREAM, REGISTRY_STREAM]) expect((await manager.streams.info(stream.name)).config.max_age).toBe(0);

    retained = await NatsClient.connect(nats.url, 'retention-test-7d', { retentionSeconds: 7 * 24 * 3600 });
    await retained.ensureStreams();
    for (const stream of [TOKENS_STREAM, REGISTRY_STREAM]) {
      const info = await manager.streams.info(stream.name);
      expect(info.config.max_age).toBe(nanos(7 * 24 * HOUR_MS));
      expect(info.config.duplicate_window).toBe(nanos(5 * 60_000));
    }

    await client.ensureStreams();
    for (const stream of [TOKENS_STREAM, REGISTRY_STREAM]) expect((await manager.streams.info(stream.name)).config.max_age).toBe(0);
  });

  // On both stores: the forgetting is plain SQL (a LIMITed select, then DELETE … IN).
  it.each(['SQLite', 'PostgreSQL'])('forgets the eventIds it applied longer ago than the retention, in chunks, and keeps the rest (%s)', async (store) => {
    let storeDatabase = database;
    let dropPostgres: (() => Promise<void>) | undefined;
    if (store === 'PostgreSQL') {
      const adminUrl = await postgresAdminUrl();
      if (!adminUrl) {
        console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the PostgreSQL run');
        return;
      }
      const created = await createTestDatabase(adminUrl);
      dropPostgres = created.drop;
      storeDatabase = new Database(
        await openDataSource({ service: 'analytics', dataDir: dir, dbUrl: created.url, entities: MESSAGING_ENTITIES, migrations: [MessagingTables1700000000000] }),
      );
    }
    try {
      await forgetsExpiredIds(storeDatabase);
    } finally {
      if (dropPostgres) {
        await consumer?.stop();
        consumer = undefined;
        await storeDatabase.close();
        await dropPostgres();
      }
    }
  }, 60_000);

  async function forgetsExpiredIds(store: Database): Promise<void> {
    const now = Date.now();
    const row = (name: string, consumedAt: number) => ({ eventId: timeOrderedUuid(consumedAt), consumer: name, consumedAt });
    // More than two chunks of expired ids, so forgetting them takes several turns of the loop.
    const expired = Array.from({ length: 12_000 }, (_, i) => row('retention-test', now - 2 * HOUR_MS - i));
    const recent = Array.from({ length: 50 }, (_, i) => row('retention-test', now - 10 * 60_000 + i));
    const othersExpired = Array.from({ length: 50 }, (_, i) => row('another-consumer', now - 2 * HOUR_MS - i));
    await store.transaction(async (manager) => {
      for (const rows of [expired, recent, othersExpired]) await insertRows(manager, ConsumedEvent, rows);
    });

    retained = await NatsClient.connect(nats.url, 'retention-test-1h', { retentionSeconds: 3600 });
    consumer = new DurableConsumer(retained, store, { stream: TOKENS_STREAM, durable: 'retention-test' }, async () => undefined);
    consumer.start();

    const remaining = () => store.transaction((manager) => selectRows(manager, ConsumedEvent, () => '1 = 1'));
    await waitFor(async () => (await remaining()).length === recent.length + othersExpired.length, 20_000, 'the expired ids forgotten', 100);
    const kept = new Set((await remaining()).map((consumed) => consumed.eventId));
    expect([...recent, ...othersExpired].every((consumed) => kept.has(consumed.eventId))).toBe(true);
  }
});
