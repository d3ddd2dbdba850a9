import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy } from 'nats';
import { JetStreamPublisher, NatsClient, RelayPublisherThread, TextStreamMessage } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { waitFor } from '../../../scripts/lib/ports';
import { distDir } from '../../../scripts/lib/services';
import { openAccess, startNatsWithStreams } from './messaging-test-kit';

/** The worker the token service's relay starts, compiled (`npm test` builds first). */
const workerFile = join(distDir(), 'libs/messaging/src/relay-publisher.worker.js');

interface Publisher {
  publishAll(messages: readonly TextStreamMessage[], timeoutMs: number): Promise<void>;
  stop?(): Promise<void>;
}

// Whatever the thread's tests see stored went through the thread: publishing on the event loop fails there.
const notOnEventLoop = { publishAll: () => Promise.reject(new Error('published on the event loop, not on the thread')) };

const publishers: Array<[string, (server: NatsServerProcess, nats: NatsClient) => Publisher]> = [
  ['JetStreamPublisher (on the event loop)', (_server, nats) => new JetStreamPublisher(nats.connection)],
  [
    'RelayPublisherThread (on a worker thread)',
    (server) => new RelayPublisherThread({ access: openAccess(server.url), connectionName: 'publisher-test-thread' }, notOnEventLoop, workerFile),
  ],
];

/** The relay's publishers, both ways they run, against a real nats-server with JetStream. */
describe.each(publishers)('%s', (_name, create) => {
  let dir: string;
  let server: NatsServerProcess;
  let nats: NatsClient;
  let publisher: Publisher;

  const messages = (count: number, prefix: string) =>
    Array.from({ length: count }, (_, index) => ({ subject: 'tokens.issued.v1', data: JSON.stringify({ index }), msgId: `${prefix}-${index}` }));
  const storedCount = async () => (await (await nats.manager()).streams.info('TOKENS')).state.messages;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-publisher-'));
    ({ server, client: nats } = await startNatsWithStreams(dir, 'publisher-test'));
    publisher = create(server, nats);
  });
  afterAll(async () => {
    await publisher?.stop?.();
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
    await expect(publisher.publishAll([{ subject: 'nobody.listens.here', data: '{}', msgId: 'x-1' }], 5000)).rejects.toThrow(
      /JetStream did not take the event: 503/,
    );
  });

  it('rejects after the timeout when acks do not come (server stopped); the retried batch is stored once when it is back', async () => {
    await server.stop();
    const batch = messages(3, 'b');
    try {
      await expect(publisher.publishAll(batch, 300)).rejects.toThrow(/did not acknowledge 3 of 3 events within 300 ms/);
    } finally {
      // Back up even when the expectation fails: closing a connection to a stopped server would wait for it.
      await server.start();
    }
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
    // The test's own connection (the thread has its own) reconnects on its own schedule: ask once it answers.
    await waitFor(() => storedCount().then(() => true, () => false), 20000, "the test's connection to reach JetStream again");
    expect(await storedCount()).toBe(2003);
  });
});

/** What happens when the thread itself misbehaves: stand-in workers that never answer, or die. */
describe('RelayPublisherThread with a broken thread', () => {
  let dir: string;
  let server: NatsServerProcess;
  let nats: NatsClient;

  const storedCount = async () => (await (await nats.manager()).streams.info('TOKENS')).state.messages;
  const threadRunning = (source: string) => {
    const file = join(dir, `worker-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, source);
    return new RelayPublisherThread({ access: openAccess(server.url), connectionName: 'broken-thread' }, new JetStreamPublisher(nats.connection), file);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-broken-thread-'));
    ({ server, client: nats } = await startNatsWithStreams(dir, 'broken-thread-test'));
  });
  afterAll(async () => {
    await nats?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the compiled worker that the token service starts', () => {
    expect(RelayPublisherThread.canStart(workerFile)).toBe(true);
    expect(RelayPublisherThread.canStart(join(dir, 'missing.js'))).toBe(false);
  });

  it('rejects a batch the thread does not answer, after the timeout and a second more', async () => {
    const silent = threadRunning('require("node:worker_threads").parentPort.on("message", () => {});\n');
    try {
      const started = Date.now();
      await expect(silent.publishAll([{ subject: 'tokens.issued.v1', data: '{}', msgId: 'silent-1' }], 200)).rejects.toThrow(
        /did not answer within 200 ms/,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
    } finally {
      await silent.stop();
    }
  });

  it('fails the batch it had not answered when it dies, then publishes on the event loop', async () => {
    const dying = threadRunning('require("node:worker_threads").parentPort.on("message", () => process.exit(3));\n');
    const batch = [1, 2, 3].map((index) => ({ subject: 'tokens.issued.v1', data: JSON.stringify({ index }), msgId: `dying-${index}` }));
    try {
      const before = await storedCount();
      await expect(dying.publishAll(batch, 5000)).rejects.toThrow(/publishing thread stopped \(exit code 3\)/);
      // What the relay does next: the same rows again, now published on the event loop.
      await dying.publishAll(batch, 5000);
      expect(await storedCount()).toBe(before + 3);
    } finally {
      await dying.stop();
    }
  });
});
