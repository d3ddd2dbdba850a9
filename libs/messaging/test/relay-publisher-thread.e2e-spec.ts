import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy } from 'nats';
import { JetStreamPublisher, NatsClient, RelayPublisherThread } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { distDir } from '../../../scripts/lib/services';
import { startNatsWithStreams } from './messaging-test-kit';

/**
 * The relay's publishing thread against a real nats-server with JetStream. The
 * thread runs the compiled worker from dist/ (`npm test` builds first), as the
 * token service does.
 */
describe('RelayPublisherThread', () => {
  const workerFile = join(distDir(), 'libs/messaging/src/relay-publisher.worker.js');
  let dir: string;
  let server: NatsServerProcess;
  let nats: NatsClient;
  let thread: RelayPublisherThread;

  const messages = (count: number, prefix: string) =>
    Array.from({ length: count }, (_, index) => ({ subject: 'tokens.issued.v1', data: JSON.stringify({ index }), msgId: `${prefix}-${index}` }));
  const storedCount = async () => (await (await nats.manager()).streams.info('TOKENS')).state.messages;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-relay-thread-'));
    ({ server, client: nats } = await startNatsWithStreams(dir, 'relay-thread-test'));
    expect(RelayPublisherThread.canStart(workerFile)).toBe(true);
    // Whatever these tests see stored went through the thread: publishing on the event loop fails here.
    const notOnEventLoop = { publishAll: () => Promise.reject(new Error('published on the event loop, not on the thread')) };
    thread = new RelayPublisherThread({ natsUrl: server.url, connectionName: 'relay-thread-test-publisher' }, notOnEventLoop, workerFile);
  });
  afterAll(async () => {
    await thread?.stop();
    await nats?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every message of a batch, in order, and drops republished ids as duplicates', async () => {
    const batch = messages(2000, 'a');
    await thread.publishAll(batch, 5000);
    expect(await storedCount()).toBe(2000);
    const consumer = await (await nats.manager()).consumers.add('TOKENS', { durable_name: 'thread-order-check', ack_policy: AckPolicy.None });
    const fetched = await nats.jetStream.consumers.get('TOKENS', consumer.name).then((c) => c.fetch({ max_messages: 2000, expires: 2000 }));
    const received: Array<{ index: number }> = [];
    for await (const message of fetched) received.push(message.json());
    expect(received.map((body) => body.index)).toEqual(batch.map((_, index) => index));

    await thread.publishAll(batch.slice(0, 500), 5000);
    expect(await storedCount()).toBe(2000);
  });

  it('rejects a batch when no stream takes its subject, with the reason JetStream gave', async () => {
    await expect(thread.publishAll([{ subject: 'nobody.listens.here', data: '{}', msgId: 'x-1' }], 5000)).rejects.toThrow(
      /JetStream did not take the event: 503/,
    );
  });

  it('rejects a batch the thread does not answer, after the timeout and a second more', async () => {
    const silentWorker = join(dir, 'silent-worker.js');
    writeFileSync(silentWorker, '// takes batches and never answers\nrequire("node:worker_threads").parentPort.on("message", () => {});\n');
    const silent = new RelayPublisherThread({ natsUrl: server.url, connectionName: 'silent' }, new JetStreamPublisher(nats.connection), silentWorker);
    try {
      const started = Date.now();
      await expect(silent.publishAll(messages(1, 'silent'), 200)).rejects.toThrow(/did not answer within 200 ms/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
    } finally {
      await silent.stop();
    }
  });

  it('publishes on the event loop once the thread has died, and fails the batch it had not answered', async () => {
    const dyingWorker = join(dir, 'dying-worker.js');
    writeFileSync(dyingWorker, '// dies on its first batch\nrequire("node:worker_threads").parentPort.on("message", () => process.exit(3));\n');
    const dying = new RelayPublisherThread({ natsUrl: server.url, connectionName: 'dying' }, new JetStreamPublisher(nats.connection), dyingWorker);
    try {
      const before = await storedCount();
      await expect(dying.publishAll(messages(3, 'dying'), 5000)).rejects.toThrow(/publishing thread stopped \(exit code 3\)/);
      // What the relay does next: the same rows again, now published on the event loop.
      await dying.publishAll(messages(3, 'dying'), 5000);
      expect(await storedCount()).toBe(before + 3);
    } finally {
      await dying.stop();
    }
  });
});
