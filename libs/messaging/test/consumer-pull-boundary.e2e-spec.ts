import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { headers as natsHeaders } from 'nats';
import { TOKENS_STREAM } from '@keymint/contracts';
import { Database } from '@keymint/persistence';
import { ConsumedEvent, DurableConsumer, NatsClient } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { waitFor } from '../../../scripts/lib/ports';
import { sampleEvent } from '../../contracts/test/event-samples';
import { messagingStore, startNatsWithStreams } from './messaging-test-kit';

/**
 * A publisher on a thread of its own, with its own connection: it publishes while the test's event loop (which the
 * consumer runs on) is blocked.
 */
const PUBLISHER_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect, headers } = require('nats');
connect({ servers: workerData.url }).then((connection) => {
  const jetStream = connection.jetstream();
  parentPort.on('message', async ({ subject, body, msgId, afterMs }) => {
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const messageHeaders = headers();
    messageHeaders.set('Nats-Msg-Id', msgId);
    await jetStream.publish(subject, Buffer.from(body), { headers: messageHeaders });
    parentPort.postMessage('published');
  });
  parentPort.postMessage('ready');
});
`;

/** How long the handler holds the event loop: past the end of the pull it was handed its event in (1 s). */
const STALL_MS = 1500;

/**
 * A consumer's event loop busy past the end of a pull (a long transaction, or a process waiting for a core on a
 * loaded machine) while JetStream delivers a message for that pull. The message was handed to this consumer, so
 * JetStream redelivers it only after the ack wait; it must instead be applied as soon as the loop is free again.
 */
describe('a durable consumer busy across the end of a pull', () => {
  let dir: string;
  let nats: NatsServerProcess;
  let client: NatsClient;
  let database: Database;
  let consumer: DurableConsumer | undefined;
  let publisher: Worker | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-pull-boundary-'));
    ({ server: nats, client } = await startNatsWithStreams(dir, 'pull-boundary-test'));
    database = await messagingStore('analytics', dir);
  });

  afterEach(async () => {
    await consumer?.stop();
    await publisher?.terminate();
    await client.close();
    await database.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function publish(body: { eventId: string }): Promise<void> {
    const headers = natsHeaders();
    headers.set('Nats-Msg-Id', body.eventId);
    await client.jetStream.publish('tokens.issued.v1', Buffer.from(JSON.stringify(body)), { headers });
  }

  it('applies a message delivered while it was busy within a second of the stall, once', async () => {
    const durable = 'pull-boundary-test';
    publisher = new Worker(PUBLISHER_THREAD, { eval: true, workerData: { url: nats.url } });
    await new Promise((resolve) => publisher!.once('message', resolve));

    const slow = sampleEvent('tokens.issued.v1', { tokenId: 'slow' });
    const next = sampleEvent('tokens.issued.v1', { tokenId: 'next' });
    const applied = new Map<string, number>();
    let stallEndedAt = 0;
    let nextAppliedAt = 0;
    consumer = new DurableConsumer(client, database, { stream: TOKENS_STREAM, durable }, async (_manager, events) => {
      for (const { event } of events) {
        const tokenId = (event as unknown as { tokenId: string }).tokenId;
        applied.set(tokenId, (applied.get(tokenId) ?? 0) + 1);
        if (tokenId === "next") nextAppliedAt = Date.now();
        if (tokenId !== 'slow') continue;
        // The next event goes out while this thread is blocked: JetStream delivers it to the pull that is still open.
        publisher!.postMessage({ subject: 'tokens.issued.v1', body: JSON.stringify(next), msgId: next.eventId, afterMs: 50 });
        // Blocked after an I/O turn, as a transaction that waits on its database's socket (PostgreSQL) or an apply
        // begun as messages came in: once free, the event loop runs its due timers before it reads the socket again.
        await new Promise((resolve) => setImmediate(resolve));
        const until = Date.now() + STALL_MS;
        while (Date.now() < until) {
          /* the event loop held, as by a long synchronous transaction */
        }
        stallEndedAt = Date.now();
      }
    });

    // The slow event is published as soon as the consumer asks for messages, so it lands at the start of a pull
    // and the stall covers that pull's end.
    const pulls = client.connection.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${TOKENS_STREAM.name}.${durable}`, { max: 1 });
    consumer.start();
    for await (const _pull of pulls) await publish(slow);

    // Long enough for JetStream's redelivery after the ack wait, so a failure shows the lag it had.
    await waitFor(async () => nextAppliedAt > 0, 40_000, 'the next event applied', 50);
    const lagMs = nextAppliedAt - stallEndedAt;
    expect({ lagMs, underASecond: lagMs < 1000 }).toEqual({ lagMs, underASecond: true });
    expect(Object.fromEntries(applied)).toEqual({ slow: 1, next: 1 });
    expect(await database.manager.count(ConsumedEvent)).toBe(2);
  }, 60_000);
});
