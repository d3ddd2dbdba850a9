import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy } from 'nats';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { TOKENS_STREAM } from '@keymint/contracts';
import { Database, openDataSource, timeOrderedUuid } from '@keymint/persistence';
import { createMessagingTables, DurableConsumer, MESSAGING_ENTITIES, NatsClient } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { freePort, waitFor } from '../../../scripts/lib/ports';

class MessagingTables1700000000000 implements MigrationInterface {
  name = 'MessagingTables1700000000000';
  up(queryRunner: QueryRunner) {
    return createMessagingTables(queryRunner);
  }
  async down() {}
}

/**
 * A durable consumer that gets a subject filter (analytics's token consumer,
 * which took every TOKENS event before): on a real nats-server, the
 * re-created consumer delivers every filtered event it had not acknowledged,
 * none of the others, and keeps working across restarts.
 */
describe('DurableConsumer with a subject filter', () => {
  let dir: string;
  let server: NatsServerProcess;
  let nats: NatsClient;
  let database: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-filter-'));
    server = new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'nats'), logFile: join(dir, 'nats.log') });
    await server.start();
    nats = await NatsClient.connect(server.url, 'filter-test');
    await nats.ensureStreams();
    database = new Database(await openDataSource({ service: 'analytics', dataDir: dir, entities: MESSAGING_ENTITIES, migrations: [MessagingTables1700000000000] }));
  });
  afterAll(async () => {
    await database?.close();
    await nats?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = async (subject: string, label: string) => {
    const body = { eventId: timeOrderedUuid(), occurredAt: new Date().toISOString(), label };
    await nats.jetStream.publish(subject, Buffer.from(JSON.stringify(body)), { msgID: body.eventId });
  };

  it('moves an unfiltered consumer to the filter without losing or repeating an event', async () => {
    for (let index = 0; index < 10; index += 1) {
      await publish('tokens.issued.v1', `issued-${index}`);
      await publish('tokens.revoked.v1', `revoked-${index}`);
    }
    // The consumer as an earlier release left it: no filter, the first 6 messages acknowledged, 2 more delivered only.
    const manager = await nats.manager();
    await manager.consumers.add(TOKENS_STREAM.name, { durable_name: 'filter-test', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const old = await nats.jetStream.consumers.get(TOKENS_STREAM.name, 'filter-test');
    let taken = 0;
    for await (const message of await old.fetch({ max_messages: 8, expires: 2000 })) {
      if (taken < 6) message.ack();
      taken += 1;
    }

    const applied: string[] = [];
    const start = () =>
      new DurableConsumer(nats, database, { stream: TOKENS_STREAM, durable: 'filter-test', filterSubject: 'tokens.issued.>' }, async (_manager, events) => {
        for (const { event } of events) applied.push((event as unknown as { label: string }).label);
      });
    const first = start();
    first.start();
    // Acknowledged before: issued-0, -1, -2 (and three revocations). issued-3 was delivered without an ack.
    await waitFor(async () => applied.length >= 7, 10_000, 'the issued events not acknowledged before');
    await first.stop();

    await publish('tokens.revoked.v1', 'revoked-10');
    await publish('tokens.issued.v1', 'issued-10');
    const second = start();
    second.start();
    await waitFor(async () => applied.length >= 8, 10_000, 'the event published after the restart');
    await second.stop();

    expect(applied).toEqual(['issued-3', 'issued-4', 'issued-5', 'issued-6', 'issued-7', 'issued-8', 'issued-9', 'issued-10']);
    const info = await manager.consumers.info(TOKENS_STREAM.name, 'filter-test');
    expect(info.config.filter_subject).toBe('tokens.issued.>');
    expect(info.num_pending).toBe(0);
  });
});
