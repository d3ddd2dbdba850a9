import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy } from 'nats';
import { JetStreamPublisher, NatsClient } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { startNatsWithStreams } from './messaging-test-kit';

/** The relay's publisher against a real nats-server with JetStream. */
describe('JetStreamPublisher', () => {
  let dir: string;
  let server: NatsServerProcess;
  let nats: NatsClient;
  let publisher: JetStreamPublisher;

  const messages = (count: number, prefix: string) =>
    Array.from({ length: count }, (_, index) => ({ subject: 'tokens.issued.v1', data: Buffer.from(JSON.stringify({ index })), msgId: `${prefix}-${index}` }));
  const storedCount = async () => (await (await nats.manager()).streams.info('TOKENS')).state.messages;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-publisher-'));
    ({ server, client: nats } = await startNatsWithStreams(dir, 'publisher-test'));
    publisher = new JetStreamPublisher(nats.connection);
  });
  afterAll(async () => {
    await nats?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every message of a pipelined batch, in order, and drops republished ids as duplicates', async () => {
    const batch = messages(2000, 'a');
    await publisher.publishAll(batch, 5000);
    expect(await storedCount()).toBe(2000);
    const consumer = await (await nats.manager()).consumers.add('TOKENS', { durable_name: 'order-check', ack_policy: AckPolicy.None });
    const fetched = await nats.jetStream.consumers.get('TOKENS', consumer.name).then((c) => c.fetch({ max_messages: 2000, expires: 2000 }));
    const order: number[] = [];
    for await (const message of fetched) order.push((message.json() as { index: number }).index);
    expect(order).toEqual(batch.map((_, index) => index));

    await publisher.publishAll(batch.slice(0, 500), 5000);
    expect(await storedCount()).toBe(2000);
  });

  it('rejects a batch when no stream takes its subject, naming why', async () => {
    await expect(publisher.publishAll([{ subject: 'nobody.listens.here', data: Buffer.from('{}'), msgId: 'x-1' }], 5000)).rejects.toThrow(
      /JetStream did not take the event: 503/,
    );
  });

  it('rejects after the timeout when acks do not come (server stopped); the retried batch is stored once when it is back', async () => {
    await server.stop();
    const batch = messages(3, 'b');
    await expect(publisher.publishAll(batch, 300)).rejects.toThrow(/did not acknowledge 3 of 3 events within 300 ms/);
    await server.start();
    // What the relay does: publish the same rows again until acknowledged.
    const deadline = Date.now() + 15000;
    for (;;) {
      try {
        await publisher.publishAll(batch, 1000);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    expect(await storedCount()).toBe(2003);
  });
});
