import { join } from 'node:path';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { Database, DataSourceSettings, openDataSource } from '@keymint/persistence';
import { createMessagingTables, MESSAGING_ENTITIES, NatsClient } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { freePort } from '../../../scripts/lib/ports';

/** The messaging tables as a migration, for stores the tests open with nothing else in them. */
export class MessagingTables1700000000000 implements MigrationInterface {
  name = 'MessagingTables1700000000000';
  up(queryRunner: QueryRunner) {
    return createMessagingTables(queryRunner);
  }
  async down() {}
}

/** A store holding only the messaging tables: the service's SQLite file under `dir`, or the PostgreSQL database at `dbUrl`. */
export async function messagingStore(service: DataSourceSettings['service'], dir: string, dbUrl?: string): Promise<Database> {
  return new Database(await openDataSource({ service, dataDir: dir, dbUrl, entities: MESSAGING_ENTITIES, migrations: [MessagingTables1700000000000] }));
}

/** A nats-server with JetStream on a free port, storing and logging under `dir` (not started yet). */
export async function natsServerIn(dir: string): Promise<NatsServerProcess> {
  return new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log') });
}

/** `natsServerIn(dir)` started, with a client connected and the event streams created. */
export async function startNatsWithStreams(dir: string, clientName: string): Promise<{ server: NatsServerProcess; client: NatsClient }> {
  const server = await natsServerIn(dir);
  await server.start();
  const client = await NatsClient.connect(server.url, clientName);
  await client.ensureStreams();
  return { server, client };
}
