import { Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Database, quotedTable, SqlParams } from '@keymint/persistence';
import { endSpan, linkTo, Span, SpanKind, startSpan, tracingIsOn } from '@keymint/telemetry';
import { storedTraceContexts } from './context-headers';
import { JetStreamPublisher } from './jetstream-publisher';
import { NatsClient } from './nats-client';
import { OutboxEntry } from './messaging.entities';
import { PublishingThreadSettings, RelayPublisherThread } from './relay-publisher-thread';

const COALESCE_MS = 10;
const PUBLISH_TIMEOUT_MS = 5000;
/**
 * A batch ends at this many characters of message bodies and headers as well as at
 * `batchSize` rows: a row may be a pack of many events (EVENTS_PER_MESSAGE),
 * and a backlog of full packs must still go out within the publish timeout
 * on a slow link, or it would time out and be retried forever.
 */
const MAX_BATCH_CHARS = 1024 * 1024;

export interface OutboxRelayOptions {
  batchSize?: number;
  /** Safety-net poll interval when no commit wakes the relay. */
  pollMs?: number;
  /**
   * Publish from a worker thread with its own connection (RelayPublisherThread)
   * instead of the event loop: for the token service, whose event loop the
   * relay shares with every token request. Ignored when running from
   * TypeScript sources, where there is no compiled worker to start.
   */
  publishingThread?: PublishingThreadSettings;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const outboxBacklog = new Gauge({
  name: 'keymint_outbox_backlog',
  help: 'Outbox rows (events, or packs of events) written and not yet acknowledged by JetStream, as the relay last read them (at most one batch: 1000)',
  // The relays of a service's processes (TOKEN_WORKERS) read the same outbox.
  aggregator: 'max',
});

/** When the oldest row the relay last read was written (epoch ms); null when it found the outbox empty. */
let oldestUnpublishedAt: number | null = null;
new Gauge({
  name: 'keymint_outbox_oldest_age_seconds',
  help: 'Age of the oldest outbox row not yet acknowledged by JetStream, at the time of the scrape (0 when the relay last found the outbox empty)',
  aggregator: 'max',
  collect() {
    // Aged at the scrape, not at the relay's last cycle: a relay stuck on a publish shows an age that keeps growing.
    this.set(oldestUnpublishedAt === null ? 0 : Math.max(0, Date.now() - oldestUnpublishedAt) / 1000);
  },
});

/**
 * Publishes outbox rows in id order with `Nats-Msg-Id` = the row's `eventId`
 * (an event's id, or a pack's own: EVENTS_PER_MESSAGE) and deletes
 * them after JetStream acknowledged them. Wakes at once after a commit, polls
 * as a safety net (rows of a crashed run, other replicas), and backs off while
 * NATS is away. A row is deleted only after its ack, and JetStream drops a
 * re-published id inside its duplicate window, so nothing is lost or doubled.
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private wake?: () => void;
  private dirty = true;
  private loop?: Promise<void>;

  private readonly batchSize: number;
  private readonly pollMs: number;

  constructor(
    private readonly database: Database,
    private readonly nats: NatsClient,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollMs = options.pollMs ?? 1000;
    const onEventLoop = new JetStreamPublisher(nats.connection, nats.inboxPrefix);
    this.publisher =
      options.publishingThread && RelayPublisherThread.canStart() ? new RelayPublisherThread(options.publishingThread, onEventLoop) : onEventLoop;
    database.onCommit(() => this.notify());
    const metadata = database.dataSource.getMetadata(OutboxEntry);
    const column = (name: keyof OutboxEntry) => {
      const databaseName = metadata.findColumnWithPropertyName(name)!.databaseName;
      return `${database.dataSource.driver.escape(databaseName)} AS ${database.dataSource.driver.escape(name)}`;
    };
    // Plain SQL with one of a few texts (`anyOf`): TypeORM's delete wrote the ids into the text (a new statement each cycle).
    const table = quotedTable(database.dataSource, OutboxEntry);
    this.deleteSql = `DELETE FROM ${table} WHERE ${database.dataSource.driver.escape('id')}`;
    this.selectSql = `SELECT ${(['id', 'eventId', 'subject', 'body', 'headers', 'createdAt'] as const).map(column).join(', ')} FROM ${table} ORDER BY ${database.dataSource.driver.escape('id')}`;
  }

  private readonly selectSql: string;
  private readonly deleteSql: string;
  private readonly publisher: JetStreamPublisher | RelayPublisherThread;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Stops after publishing what is already there when NATS is up (shutdown drains the outbox). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Ends the publishing thread, if any; after stop() and drain() on shutdown. */
  async close(): Promise<void> {
    if (this.publisher instanceof RelayPublisherThread) await this.publisher.stop();
  }

  /** Publishes until the outbox is empty; used on shutdown and by tests. */
  async drain(): Promise<void> {
    while ((await this.publishBatch()).published > 0) {
      /* keep going */
    }
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      try {
        this.dirty = false;
        const { published, full } = await this.publishBatch();
        backoffMs = 100;
        if (full) continue;
        // Under load, let rows gather for a moment: each relay cycle is a read and a delete on the store,
        // and on SQLite those queue behind (and in front of) the token path's commits.
        if (published > 0) await delay(COALESCE_MS);
        if (this.dirty) continue;
        await this.sleep(this.pollMs);
      } catch (error) {
        this.logger.warn(`publish failed, retrying in ${backoffMs} ms: ${(error as Error).message}`);
        // A stream that is gone (a NATS store lost) is created again by the service that manages it, and only
        // by it (bus-access.ts): its publishes are what fail then. Not while NATS is away: the request would only
        // wait for its timeout.
        if (this.nats.isConnected) await this.nats.ensureStreams().catch(() => undefined);
        await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  /** `full`: the batch stopped at a limit, so more rows are probably waiting. */
  private async publishBatch(): Promise<{ published: number; full: boolean }> {
    // Plain rows, not entities: this runs after every commit and entity hydration was a measurable share of it.
    // On PostgreSQL a named statement on the connection the group commits use.
    const rows = await this.database.read<Pick<OutboxEntry, 'id' | 'eventId' | 'subject' | 'body' | 'headers' | 'createdAt'>>(`${this.selectSql} LIMIT ${this.batchSize}`, []);
    outboxBacklog.set(rows.length);
    // A bigint: a string from PostgreSQL.
    oldestUnpublishedAt = rows.length === 0 ? null : Number(rows[0].createdAt);
    if (rows.length === 0) return { published: 0, full: false };
    const fetched = rows.length;
    const full = cutAtChars(rows, MAX_BATCH_CHARS) || fetched === this.batchSize;
    const spans = tracingIsOn() ? rows.map(publishSpan) : [];
    // Pipelined: all publishes go out in order on one connection, then we wait for the acks.
    try {
      await this.publisher.publishAll(
        rows.map((row) => ({ subject: row.subject, data: row.body, msgId: row.eventId, headers: row.headers })),
        PUBLISH_TIMEOUT_MS,
      );
    } catch (error) {
      for (const span of spans) endSpan(span, error);
      throw error;
    }
    for (const span of spans) endSpan(span);
    const params = new SqlParams(this.database.dataSource);
    const ids = params.anyOf(rows.map((row) => row.id));
    // On PostgreSQL BEGIN, DELETE and COMMIT go out together: one round trip (the transaction awaits the DELETE's answer).
    await this.database.pipelinedTransaction(async (statements) => void statements.query(`${this.deleteSql} ${ids}`, params.values));
    return { published: rows.length, full };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
      if (this.dirty) done();
    });
  }
}

/**
 * The span of one message's publish, in the trace of the request that wrote its (first) event, linked to those of
 * the other events of a pack; none for a message whose events were written outside any traced request.
 */
function publishSpan(row: { subject: string; headers: string | null }): Span | undefined {
  const [first, ...others] = storedTraceContexts(row.headers);
  const links = others.flatMap((context) => {
    const link = context && linkTo(context);
    return link ? [link] : [];
  });
  if (!first && links.length === 0) return undefined;
  return startSpan(`publish ${row.subject}`, {
    kind: SpanKind.PRODUCER,
    parent: first,
    links,
    attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': row.subject },
  });
}

/** Drops the rows after the first that would take the bodies and stored headers past `maxChars` (the first always stays); true if any were dropped. */
export function cutAtChars(rows: Array<{ body: string; headers?: string | null }>, maxChars: number): boolean {
  const charsOf = (row: { body: string; headers?: string | null }) => row.body.length + (row.headers?.length ?? 0);
  let chars = charsOf(rows[0]);
  let count = 1;
  while (count < rows.length && chars + charsOf(rows[count]) <= maxChars) chars += charsOf(rows[count++]);
  if (count === rows.length) return false;
  rows.length = count;
  return true;
}
