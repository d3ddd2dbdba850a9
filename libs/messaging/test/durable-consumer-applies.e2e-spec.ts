import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from 'nats';
import { ReceivedEvent, TOKENS_STREAM } from '@keymint/contracts';
import { Database, insertRows } from '@keymint/persistence';
import { ConsumedEvent, DurableConsumer, NatsClient, OutboxEntry, ParkedEvent } from '@keymint/messaging';
import { postgresTestDatabase, TestDatabase } from '../../../test/support/postgres';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { waitFor } from '../../../scripts/lib/ports';
import { sampleEvent } from '../../contracts/test/event-samples';
import { messagingStore, startNatsWithStreams } from './messaging-test-kit';

/**
 * `applies`: events of known subjects the handler has no effect for are
 * acknowledged without being read or recorded; everything else is handled
 * as before (an unknown subject is still parked).
 */
describe('a durable consumer that applies only some subjects', () => {
  let dir: string;
  let nats: NatsServerProcess;
  let client: NatsClient;
  let database: Database;
  let consumer: DurableConsumer | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-applies-'));
    ({ server: nats, client } = await startNatsWithStreams(dir, 'applies-test'));
    database = await messagingStore('analytics', dir);
  });

  afterEach(async () => {
    await consumer?.stop();
    await client.close();
    await database.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function publish(subject: string, body: string): Promise<void> {
    const headers = natsHeaders();
    headers.set('Nats-Msg-Id', randomUUID());
    await client.jetStream.publish(subject, Buffer.from(body), { headers });
  }

  /** Until the durable has been handed, and has acknowledged, the stream's first `messages` messages. */
  async function everyMessageAcknowledged(durable: string, messages: number): Promise<void> {
    const manager = await client.manager();
    await waitFor(
      async () => {
        // The consumer creates its durable when it starts.
        const info = await manager.consumers.info(TOKENS_STREAM.name, durable).catch(() => null);
        return info !== null && info.delivered.stream_seq === messages && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      20_000,
      'every message acknowledged',
      100,
    );
  }

  const event = (fields: { tokenId: string }, subject: 'tokens.issued.v1' | 'tokens.revoked.v1' = 'tokens.issued.v1') => JSON.stringify(sampleEvent(subject, fields));

  it('acks the other subjects unread, records and applies the rest, and still parks an unknown subject', async () => {
    for (let i = 0; i < 5; i += 1) {
      await publish('tokens.issued.v1', event({ tokenId: `t${i}` }));
      await publish('tokens.revoked.v1', event({ tokenId: `t${i}` }, 'tokens.revoked.v1'));
    }
    await publish('tokens.revoked.v1', 'not json at all');
    await publish('tokens.issued.v2', event({ tokenId: 'future' }));

    const applied: ReceivedEvent[] = [];
    consumer = new DurableConsumer(
      client,
      database,
      { stream: TOKENS_STREAM, durable: 'applies-test', applies: (subject) => subject === 'tokens.issued.v1' },
      async (_manager, events) => {
        applied.push(...events);
      },
    );
    consumer.start();

    await everyMessageAcknowledged('applies-test', 12);

    expect(applied.map((received) => received.subject)).toEqual(Array(5).fill('tokens.issued.v1'));
    expect(applied.map((received) => (received.event as unknown as { tokenId: string }).tokenId)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    // Only applied events are recorded for deduplication; the malformed revocation was never read.
    expect(await database.manager.count(ConsumedEvent)).toBe(5);
    const parked = await database.manager.find(ParkedEvent);
    expect(parked.map((row) => [row.subject, row.reason])).toEqual([['tokens.issued.v2', 'unknown subject tokens.issued.v2']]);
  }, 60_000);

  it('applies each event of a packed message once, and parks a bad event of one alone, with its own JSON', async () => {
    const body = (fields: { tokenId: string }) => JSON.parse(event(fields)) as Record<string, unknown>;
    const [t0, t1, t2, t3, poison] = ['t0', 't1', 't2', 't3', 'poison'].map((tokenId) => body({ tokenId }));
    const broken = { ...body({ tokenId: 'broken' }), eventId: 'not-a-uuid' };
    await publish('tokens.issued.v1', JSON.stringify([t0, t1, broken, t2]));
    // The same events packed again under another message id (a relay that grouped them differently): skipped by eventId.
    await publish('tokens.issued.v1', JSON.stringify([t0, t1]));
    await publish('tokens.issued.v1', JSON.stringify([t3, poison]));

    const applied: string[] = [];
    consumer = new DurableConsumer(client, database, { stream: TOKENS_STREAM, durable: 'packed-test' }, async (_manager, events) => {
      const tokenIds = events.map((received) => (received.event as unknown as { tokenId: string }).tokenId);
      if (tokenIds.includes('poison')) throw new Error('poisoned');
      applied.push(...tokenIds);
    });
    consumer.start();

    await everyMessageAcknowledged('packed-test', 3);

    expect(applied).toEqual(['t0', 't1', 't2', 't3']);
    expect(await database.manager.count(ConsumedEvent)).toBe(4);
    const parked = await database.manager.find(ParkedEvent, { order: { id: 'ASC' } });
    expect(parked.map((row) => [row.reason, JSON.parse(row.body)])).toEqual([
      ['event 3 of 4: eventId is missing or not a UUID', broken],
      ['handler failed: poisoned', poison],
    ]);
  }, 60_000);

  it('hands a batch back instead of parking an event whose statement the store did not answer in time, and applies each event once', async () => {
    const [t0, slow, t1] = ['t0', 'slow', 't1'].map((tokenId) => JSON.parse(event({ tokenId })) as Record<string, unknown>);
    await publish('tokens.issued.v1', JSON.stringify([t0, slow, t1]));

    const applied: string[] = [];
    let slowAnswers = 0;
    consumer = new DurableConsumer(client, database, { stream: TOKENS_STREAM, durable: 'slow-store-test' }, async (_manager, events) => {
      const tokenIds = events.map((received) => (received.event as unknown as { tokenId: string }).tokenId);
      // The batch fails for a reason of its own, so the consumer applies its events one by one; there the store
      // leaves the slow event's statement unanswered once (node-postgres's answer timeout: a database unavailable).
      if (tokenIds.length > 1) throw new Error('a batch this consumer cannot apply whole');
      if (tokenIds[0] === 'slow' && ++slowAnswers === 1) throw new Error('Query read timeout');
      applied.push(...tokenIds);
    });
    consumer.start();

    await everyMessageAcknowledged('slow-store-test', 1);

    expect(applied).toEqual(['t0', 'slow', 't1']);
    expect(await database.manager.count(ConsumedEvent)).toBe(3);
    expect(await database.manager.find(ParkedEvent)).toEqual([]);
  }, 60_000);

  it('parks an event whose payload fails its schema with the reason, and never hands it to the handler', async () => {
    const good = sampleEvent('tokens.issued.v1', { tokenId: 'good' });
    const misshapen = sampleEvent('tokens.issued.v1', { tokenId: 'misshapen', keyType: 'production' });
    await publish('tokens.issued.v1', JSON.stringify(misshapen));
    await publish('tokens.issued.v1', JSON.stringify(good));

    const applied: ReceivedEvent[] = [];
    consumer = new DurableConsumer(client, database, { stream: TOKENS_STREAM, durable: 'schema-test' }, async (_manager, events) => {
      applied.push(...events);
    });
    consumer.start();

    await everyMessageAcknowledged('schema-test', 2);

    expect(applied).toEqual([{ subject: 'tokens.issued.v1', event: good }]);
    const parked = await database.manager.find(ParkedEvent);
    expect(parked.map((row) => [row.subject, row.reason, JSON.parse(row.body)])).toEqual([
      ['tokens.issued.v1', 'keyType must be one of PRODUCTION, SANDBOX', misshapen],
    ]);
  }, 60_000);
});

/**
 * A handler that writes plain SQL only (`StatementsHandler`, analytics' consumers): the batch is a pipelined
 * transaction, and the handler returns without waiting for its statements' answers. A statement that fails
 * after the handler returned still fails the batch, which is then applied event by event: the others once,
 * the failing one parked.
 */
describe.each(['SQLite', 'PostgreSQL'] as const)('a durable consumer whose handler writes plain SQL, on %s', (store) => {
  let dir: string;
  let nats: NatsServerProcess;
  let client: NatsClient;
  let database: Database | undefined;
  let postgres: TestDatabase | null = null;
  let consumer: DurableConsumer | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-statements-handler-'));
    ({ server: nats, client } = await startNatsWithStreams(dir, 'statements-test'));
    if (store === 'PostgreSQL') {
      postgres = await postgresTestDatabase();
      if (!postgres) return;
    }
    database = await messagingStore('analytics', dir, postgres?.url);
  });

  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await client.close();
    await database?.close();
    database = undefined;
    await postgres?.drop();
    postgres = null;
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies each event once, and parks the one whose statement failed after the handler returned', async () => {
    if (!database) return;
    const body = (tokenId: string) => sampleEvent('tokens.issued.v1', { tokenId }) as unknown as Record<string, unknown> & { eventId: string };
    const events = ['t0', 't1', 'poison', 't2'].map(body);
    const headers = natsHeaders();
    headers.set('Nats-Msg-Id', randomUUID());
    await client.jetStream.publish('tokens.issued.v1', Buffer.from(JSON.stringify(events)), { headers });

    consumer = new DurableConsumer(client, database, { stream: TOKENS_STREAM, durable: 'statements-test' }, {
      async statements(statements, received) {
        for (const { event } of received) {
          const tokenId = (event as unknown as { tokenId: string }).tokenId;
          // Given, not awaited: the transaction waits for the answers.
          if (tokenId === 'poison') void statements.query('SELECT * FROM no_such_table');
          else void insertRows(statements, OutboxEntry, [{ eventId: event.eventId, subject: 'applied', body: tokenId, createdAt: 0, headers: null }]).catch(() => undefined);
        }
      },
    });
    consumer.start();

    const manager = await client.manager();
    await waitFor(
      async () => {
        const info = await manager.consumers.info(TOKENS_STREAM.name, 'statements-test').catch(() => null);
        return info !== null && info.delivered.stream_seq === 1 && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      20_000,
      'the message acknowledged',
      100,
    );
    const applied = await database.manager.find(OutboxEntry, { order: { id: 'ASC' } });
    expect(applied.map((row) => row.body)).toEqual(['t0', 't1', 't2']);
    expect(await database.manager.count(ConsumedEvent)).toBe(3);
    const parked = await database.manager.find(ParkedEvent);
    expect(parked.map((row) => [row.reason.startsWith('handler failed: '), JSON.parse(row.body).tokenId])).toEqual([[true, 'poison']]);
  }, 60_000);
});
