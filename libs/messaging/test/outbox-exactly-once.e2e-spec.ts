import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsumedEvent, OutboxEntry, publishInTransaction } from '@keymint/messaging';
import { waitFor } from '../../../scripts/lib/ports';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { natsServerIn, outboxToCountingConsumer } from './messaging-test-kit';

const EVENTS = Number(process.env.OUTBOX_TEST_EVENTS ?? 10_000);

/**
 * The outbox promise end to end: 10,000 events written through the outbox
 * while nats-server is killed (-9) and restarted in the middle; the durable
 * consumer sees every eventId exactly once and none is missing.
 */
async function runScenario(dbUrls: { producer?: string; consumer?: string }, dir: string): Promise<void> {
  const nats = await natsServerIn(dir);
  const cleanups: Array<() => Promise<unknown>> = [() => nats.stop()];
  try {
    await nats.start();
    // Each cleanup runs before those given earlier: the nats-server stops last.
    const { producerDb, consumerDb, relay, consumer, seen } = await outboxToCountingConsumer(nats.url, dir, 'outbox-test', dbUrls, (cleanup) => cleanups.unshift(cleanup));
    const written: string[] = [];
    relay.start();
    consumer.start();
    for (let batch = 0; batch < EVENTS / 100; batch += 1) {
      if (batch === Math.floor(EVENTS / 100 * 0.3)) {
        await nats.stop('SIGKILL');
      }
      if (batch === Math.floor(EVENTS / 100 * 0.5)) await nats.start();
      await producerDb.transaction(async (manager) => {
        for (let i = 0; i < 100; i += 1) {
          const message = await publishInTransaction(manager, 'tokens.issued.v1', {
            tokenId: `token-${batch}-${i}`,
            applicationId: 'app-1',
            consumerKey: 'key-1',
            keyType: 'PRODUCTION',
            grantType: 'client_credentials',
            scopes: ['am_application_scope', 'default'],
            tokenType: 'OAUTH',
            issuedAt: new Date().toISOString(),
            expiresAt: new Date(Date.now() + 3600_000).toISOString(),
            reused: false,
          }, undefined);
          written.push(message.eventId);
        }
      });
    }
    await waitFor(async () => seen.size >= EVENTS, 90_000, `${EVENTS} consumed events (have ${seen.size})`, 200);
    // Give redeliveries a moment to show up if there were any.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(written).toHaveLength(EVENTS);
    expect(new Set(written).size).toBe(EVENTS);
    const missing = written.filter((eventId) => !seen.has(eventId));
    const doubled = [...seen.entries()].filter(([, count]) => count !== 1);
    expect(missing).toEqual([]);
    expect(doubled).toEqual([]);
    expect(seen.size).toBe(EVENTS);
    expect(await producerDb.manager.count(OutboxEntry)).toBe(0);
    expect(await consumerDb.manager.count(ConsumedEvent)).toBe(EVENTS);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

describe('outbox relay and durable consumer across a nats-server crash', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers 10,000 events exactly once on SQLite', async () => {
    await runScenario({}, dir);
  }, 180_000);

  it('delivers 10,000 events exactly once on PostgreSQL (when reachable)', async () => {
    const producer = await postgresTestDatabase();
    if (!producer) return;
    const consumer = (await postgresTestDatabase())!;
    try {
      await runScenario({ producer: producer.url, consumer: consumer.url }, dir);
    } finally {
      await producer.drop();
      await consumer.drop();
    }
  }, 180_000);
});
