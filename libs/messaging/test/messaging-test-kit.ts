import { join } from 'node:path';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { Database, DataSourceSettings, openDataSource } from '@keymint/persistence';
import { STREAMS, TOKENS_STREAM } from '@keymint/contracts';
import { addOutboxHeaders, createMessagingTables, DurableConsumer, MESSAGING_ENTITIES, NatsAccess, NatsClient, OutboxRelay } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { freePort } from '../../../scripts/lib/ports';

/** The messaging tables as a migration, for stores the tests open with nothing else in them. */
export class MessagingTables1700000000000 implements MigrationInterface {
  name = 'MessagingTables1700000000000';
  async up(queryRunner: QueryRunner) {
    await createMessagingTables(queryRunner);
    await addOutboxHeaders(queryRunner);
  }
  async down() {}
}

/** A store holding only the messaging tables: the service's SQLite file under `dir`, or the PostgreSQL database at `dbUrl`. */
export async function messagingStore(service: DataSourceSettings['service'], dir: string, dbUrl?: string): Promise<Database> {
  return new Database(await openDataSource({ service, dataDir: dir, dbUrl, entities: MESSAGING_ENTITIES, migrations: [MessagingTables1700000000000] }));
}

/**
 * The messaging library's own tests exercise its mechanics (relay, publisher,
 * consumer) with durable names of their own, on an open nats-server. The
 * product's bus, with a user and permissions per service, is what every
 * cluster test runs on (scripts/lib/cluster.ts) and what
 * test/bus-security.e2e-spec.ts attacks.
 */
export function openAccess(url: string): NatsAccess {
  return { url, user: 'token-service' };
}

/** A client of the open test server that manages both streams (settings: retention, replicas). */
export function connectOpen(url: string, name: string, settings: { retentionSeconds?: number } = {}): Promise<NatsClient> {
  return NatsClient.connect(openAccess(url), name, { ...settings, managed: STREAMS });
}

/** A nats-server with JetStream on a free port, storing and logging under `dir` (not started yet), admitting anyone. */
export async function natsServerIn(dir: string): Promise<NatsServerProcess> {
  return new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log') });
}

/** `natsServerIn(dir)` started, with a client connected and the event streams created. */
export async function startNatsWithStreams(dir: string, clientName: string): Promise<{ server: NatsServerProcess; client: NatsClient }> {
  const server = await natsServerIn(dir);
  await server.start();
  const client = await connectOpen(server.url, clientName);
  await client.ensureStreams();
  return { server, client };
}

/**
 * The outbox's two ends, as the exactly-once tests run them: the token service's store with its relay, and
 * analytics' store with a durable consumer (named `name`) on TOKENS that counts how often it applies each
 * eventId, each end with a NATS client of its own on `serverUrl`. Neither is started. Every stop and close is
 * handed to `onCleanup` as it is made (run them last given, first run).
 */
export async function outboxToCountingConsumer(
  serverUrl: string,
  dir: string,
  name: string,
  dbUrls: { producer?: string; consumer?: string },
  onCleanup: (cleanup: () => Promise<unknown>) => void,
): Promise<{ producerDb: Database; consumerDb: Database; relay: OutboxRelay; consumer: DurableConsumer; seen: Map<string, number> }> {
  const producerDb = await messagingStore('token', dir, dbUrls.producer);
  onCleanup(() => producerDb.close());
  const consumerDb = await messagingStore('analytics', dir, dbUrls.consumer);
  onCleanup(() => consumerDb.close());
  const producerNats = await connectOpen(serverUrl, `${name}-producer`);
  onCleanup(() => producerNats.close());
  const consumerNats = await connectOpen(serverUrl, `${name}-consumer`);
  onCleanup(() => consumerNats.close());
  await producerNats.ensureStreams();
  const relay = new OutboxRelay(producerDb, producerNats);
  onCleanup(() => relay.stop());
  const seen = new Map<string, number>();
  const consumer = new DurableConsumer(consumerNats, consumerDb, { stream: TOKENS_STREAM, durable: name }, async (_manager, events) => {
    for (const { event } of events) seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
  });
  onCleanup(() => consumer.stop());
  return { producerDb, consumerDb, relay, consumer, seen };
}
