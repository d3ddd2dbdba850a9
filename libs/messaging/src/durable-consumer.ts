import { Logger } from '@nestjs/common';
import { AckPolicy, Consumer, ConsumerMessages, DeliverPolicy, JsMsg, nanos } from 'nats';
import { Gauge } from 'prom-client';
import { EntityManager } from 'typeorm';
import { EventSubject, isEventSubject, ReceivedEvent, StreamDefinition } from '@keymint/contracts';
import { Database, insertRows, isDatabaseUnavailable, Statements, statementsIn } from '@keymint/persistence';
import { Context, endSpan, recentAnswer, RequestContext, SpanKind, startSpan, traceIdsOf, tracingIsOn } from '@keymint/telemetry';
import { ConsumedEvents } from './consumed-events';
import { eventOrigins } from './context-headers';
import { decodeEvents, DecodedEvent, isEventProblem } from './event-codec';
import { isNotFound, NatsClient } from './nats-client';
import { ParkedEvent } from './messaging.entities';

/** The consumers of this process that run, whose lag each scrape asks JetStream for. */
const runningConsumers = new Set<DurableConsumer>();
/** A scrape waits at most this long for JetStream; a consumer it does not hear of keeps its last value. */
const LAG_QUERY_TIMEOUT_MS = 1000;

new Gauge({
  name: 'keymint_consumer_lag',
  help: 'Messages in the stream not yet delivered to this durable consumer, asked of JetStream at the scrape',
  labelNames: ['consumer'],
  // Every process of a service of several (TOKEN_WORKERS) asks of the same durable: the service's lag is one of them.
  aggregator: 'max',
  async collect() {
    // Asked at the scrape rather than after each applied batch: a consumer that cannot apply (its store down, say)
    // shows a lag that grows, instead of the value of its last good batch.
    for (const [consumer, pending] of await consumerLags()) this.set({ consumer }, pending);
  },
});

/** Scrapes are unauthenticated: however many come, JetStream is asked of each consumer once per LAG_REUSE_MS. */
const LAG_REUSE_MS = 5000;
async function consumerLags(): Promise<Array<readonly [string, number]>> {
  const lags = await Promise.all([...runningConsumers].map(async (consumer) => [consumer.durable, await consumer.recentLag()] as const));
  return lags.filter((lag): lag is readonly [string, number] => lag[1] !== undefined);
}

/**
 * When a small batch is ready and nothing more is queued, wait this long once
 * for more before applying it. Each batch is one transaction, and its fixed
 * cost (the dedup read, the commit) dominated the analytics service under load:
 * ~300 commits/s of ~11 events each. A few ms of lag buys batches several
 * times larger.
 */
const GATHER_MS = 5;
const ACK_WAIT_MS = 30_000;
const GATHER_BELOW = 100;

/**
 * How long each pull JetStream holds open waits for messages. It adds nothing to the lag (messages are handed over
 * as they come, and a new pull is on its way before the last ends); JetStream's idle heartbeats come every half of
 * it, and a pull lost with its server (a NATS node gone) is noticed after two of them are missed.
 */
const PULL_EXPIRES_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** While no message comes, the consumer still wakes this often for its housekeeping (forgetting old eventIds). */
const IDLE_WAKE_MS = 1000;

const NOT_YET = Symbol('not yet');

/**
 * The subscription's next message (or its end), waited for with a limit. One reaction on the iterator's promise,
 * however many waits: an idle consumer waits once a second for as long as it stays idle.
 */
class NextMessage {
  private outcome?: { result: IteratorResult<JsMsg> } | { error: unknown };
  private wake?: () => void;

  constructor(promise: Promise<IteratorResult<JsMsg>>) {
    promise.then(
      (result) => this.settle({ result }),
      (error: unknown) => this.settle({ error }),
    );
  }

  /**
   * The message if it comes within `ms`; without `ms`, if it is already queued (the iterator hands a queued message
   * over within microtasks, before an immediate). Else NOT_YET. Throws the subscription's failure.
   */
  async within(ms?: number): Promise<IteratorResult<JsMsg> | typeof NOT_YET> {
    if (!this.outcome) {
      await new Promise<void>((resolve) => {
        const timer = ms === undefined ? setImmediate(done) : setTimeout(done, ms);
        const self = this;
        function done() {
          if (ms === undefined) clearImmediate(timer as NodeJS.Immediate);
          else clearTimeout(timer as NodeJS.Timeout);
          self.wake = undefined;
          resolve();
        }
        this.wake = done;
      });
    }
    if (!this.outcome) return NOT_YET;
    if ('error' in this.outcome) throw this.outcome.error;
    return this.outcome.result;
  }

  private settle(outcome: NonNullable<NextMessage['outcome']>): void {
    this.outcome = outcome;
    this.wake?.();
  }
}

/** One event of a fetched message, decoded, with the request it came from (its message's headers). */
interface FetchedEvent {
  message: JsMsg;
  parsed: DecodedEvent;
  origin: { requestId?: string; trace?: Context };
}

/**
 * An event as a consumer's handler gets it, with `origin`: the request that wrote it (its message's headers), to
 * pass to what the handler writes or logs for it (a revocation's event carries it on); absent when the event
 * names none.
 */
export type EventToApply = ReceivedEvent & { readonly origin?: RequestContext };

/** Applies events inside the consumer's transaction; throw to reject the batch (it is retried event by event). */
export type EventHandler = (manager: EntityManager, events: EventToApply[]) => Promise<void>;

/**
 * A handler that applies events with plain SQL only: the consumer's transaction is then a pipelined one
 * (`Database.pipelinedTransaction`), its BEGIN sent with the record of the batch's ids and its COMMIT with the
 * handler's statements (on PostgreSQL two round trips, where TypeORM's START and COMMIT are two more). It gives
 * its statements and resolves once it has given the last, without waiting for their answers: the transaction
 * waits for them and fails (the batch is retried event by event) if one failed.
 */
export interface StatementsHandler {
  statements(statements: Statements, events: ReceivedEvent[]): Promise<void>;
}

export interface DurableConsumerOptions {
  stream: StreamDefinition;
  /** Durable name; replicas of a service share it and split the work. */
  durable: string;
  batchSize?: number;
  /**
   * The event subjects the handler has an effect for. Messages of other known
   * subjects are acknowledged without being parsed or recorded as consumed:
   * exactly-once is about effects, and they have none. (In renew mode half
   * the token stream is revocations, which analytics does not count.) The
   * filter is on this side, not the JetStream consumer's, so that no consumer
   * configuration changes under replicas of an older version. Default: all.
   */
  applies?: (subject: EventSubject) => boolean;
}

/**
 * A durable pull consumer whose effects are exactly-once: each batch is applied
 * in one database transaction that also records every eventId, and acked only
 * after the commit. A redelivered event is skipped; a malformed event (one
 * that `decodeEvents` refuses: not JSON, or not what its subject's schema
 * says) or one the handler rejects is parked (stored with the reason) and never
 * blocks the stream. So a handler only ever sees events that passed their schema.
 */
export class DurableConsumer {
  private readonly logger: Logger;
  private running = false;
  private loop?: Promise<void>;
  /** The subscription being read, while there is one: stop() ends it. */
  private messages?: ConsumerMessages;
  private readonly consumed: ConsumedEvents;

  constructor(
    private readonly nats: NatsClient,
    private readonly database: Database,
    private readonly options: DurableConsumerOptions,
    private readonly handler: EventHandler | StatementsHandler,
  ) {
    this.logger = new Logger(`Consumer:${options.durable}`);
    this.consumed = new ConsumedEvents(nats, database, options.stream, options.durable, this.logger);
  }

  get durable(): string {
    return this.options.durable;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    runningConsumers.add(this);
    this.loop = this.run();
  }

  /**
   * Ends the subscription; what had arrived is applied and acknowledged first. A message JetStream sends in the
   * moment before it hears of the end is redelivered after the ack wait (to another replica, or at the next start).
   */
  async stop(): Promise<void> {
    this.running = false;
    runningConsumers.delete(this);
    this.messages?.stop();
    await this.loop;
  }

  /**
   * `undeliveredMessages`, shared by the scrapes of LAG_REUSE_MS (`recentAnswer`). Per consumer, so one that starts
   * after a scrape is asked at the next (a cached list of the consumers running then would leave it out).
   */
  readonly recentLag = recentAnswer(() => this.undeliveredMessages(), LAG_REUSE_MS);

  /** JetStream's count of this consumer's undelivered messages; undefined while NATS is away or does not answer in time. */
  async undeliveredMessages(): Promise<number | undefined> {
    if (!this.nats.isConnected) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LAG_QUERY_TIMEOUT_MS)));
    const asked = this.nats
      .manager()
      .then((manager) => manager.consumers.info(this.options.stream.name, this.options.durable))
      .then((info) => info.num_pending, () => undefined);
    try {
      return await Promise.race([asked, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async ensureConsumer(): Promise<void> {
    const manager = await this.nats.manager();
    await manager.consumers.add(this.options.stream.name, {
      durable_name: this.options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: 20_000,
    });
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    // Looked up once (a JetStream API round trip) and again only after an error.
    let consumer: Consumer | undefined;
    let consumerReady = false;
    let waitingSaid = false;
    while (this.running) {
      try {
        if (!consumer) {
          // The stream is created by the service that publishes to it (bus-access.ts); until then this fails and retries.
          await this.ensureConsumer();
          consumer = await this.nats.jetStream.consumers.get(this.options.stream.name, this.options.durable);
          consumerReady = true;
        }
        // One subscription for as long as the consumer runs, its pulls renewed on it: with a fetch per pull, the
        // client stopped listening at its own timer (1.05 x the pull's expiry, counted from before the request was
        // even sent), and a message JetStream delivered for that pull after it, or that the client had not read yet
        // (its event loop busy), was dropped and came back only after the ack wait (docs/performance.md).
        // A consumer or stream that is gone ends it with an error, and the durable is made again below.
        await this.consumed.forgetOldIfDue();
        const messages = await consumer.consume({ max_messages: this.options.batchSize ?? 500, expires: PULL_EXPIRES_MS, abort_on_missing_resource: true });
        this.messages = messages;
        if (!this.running) messages.stop();
        await this.applyAsTheyCome(messages);
        backoffMs = 100;
      } catch (error) {
        if (!this.running) break;
        consumer = undefined;
        if (isNotFound(error) && !consumerReady) {
          // At first start, before the publishing service has created the stream: expected, said once.
          if (!waitingSaid) this.logger.log(`waiting for stream ${this.options.stream.name} (created by the service that publishes to it)`);
          waitingSaid = true;
        } else {
          this.logger.warn(`consume failed, retrying in ${backoffMs} ms: ${(error as Error).message}`);
        }
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
      } finally {
        this.messages?.stop();
        this.messages = undefined;
      }
    }
  }

  /**
   * Applies the messages as they come, in batches: each batch is what has arrived when nothing more is queued, so
   * one event waits milliseconds and a busy stream still gives large batches. A small batch waits GATHER_MS once
   * for more, and a batch stops at `batchSize` messages. Messages are taken off the subscription only as fast as
   * batches are applied, and JetStream is asked for more as they are taken (a slow store keeps them in JetStream,
   * not in this process). Returns when the subscription ends (stop()); throws when it fails.
   */
  private async applyAsTheyCome(messages: ConsumerMessages): Promise<void> {
    const iterator = messages[Symbol.asyncIterator]();
    const batchSize = this.options.batchSize ?? 500;
    let batch: JsMsg[] = [];
    let gathered = false;
    // Asked for before each batch is applied: messages arriving meanwhile are queued for the next batch.
    let next = new NextMessage(iterator.next());
    for (;;) {
      // Nothing in hand: wait for a message (waking for housekeeping). Some in hand: take the ones already queued.
      const result = await next.within(batch.length === 0 ? IDLE_WAKE_MS : undefined);
      if (result !== NOT_YET && !result.done) {
        batch.push(result.value);
        next = new NextMessage(iterator.next());
        if (batch.length < batchSize) continue;
      } else if (result === NOT_YET && batch.length > 0 && !gathered && batch.length < GATHER_BELOW) {
        gathered = true;
        await sleep(GATHER_MS);
        continue;
      }
      // Nothing more queued (or nothing came), a full batch, or the end of the subscription.
      if (batch.length > 0) await this.applyBatch(batch);
      batch = [];
      gathered = false;
      if (result !== NOT_YET && result.done) return;
      await this.consumed.forgetOldIfDue();
    }
  }

  private async applyBatch(batch: JsMsg[]): Promise<void> {
    const applies = this.options.applies;
    const parsed: FetchedEvent[] = batch
      .filter((message) => !applies || !isEventSubject(message.subject) || applies(message.subject))
      .flatMap((message) => {
        const events = decodeEvents(message);
        const origins = eventOrigins(message.headers, events.length);
        return events.map((event, index) => {
          const origin = origins[index];
          // The handler gets each event with its request (EventToApply).
          if (origin.requestId && !isEventProblem(event)) (event as { origin?: RequestContext }).origin = { requestId: origin.requestId, trace: origin.trace };
          return { message, parsed: event, origin };
        });
      });
    if (parsed.length === 0) {
      for (const message of batch) message.ack();
      return;
    }
    const startedAt = Date.now();
    try {
      const parkedLines: ParkedLine[] = [];
      let fresh: ReceivedEvent[] = [];
      await this.inTransaction(async (statements, handle) => {
        parkedLines.length = 0;
        fresh = await this.consumed.recordNew(statements, validEvents(parsed));
        for (const item of parsed) {
          if (isEventProblem(item.parsed)) parkedLines.push(await this.park(statements, item, item.parsed.problem, item.parsed.body));
        }
        if (fresh.length > 0) await handle(fresh);
      });
      // Logged after the commit: a batch that is rolled back and retried one by one logs each parked event once.
      for (const line of parkedLines) this.logger.warn(line);
      this.applied(parsed, fresh, startedAt);
    } catch (error) {
      // The store is down, or too slow to answer in time (a statement past the answer timeout): not the events' fault.
      if (isDatabaseUnavailable(error) || !(await this.database.ping())) throw this.handBack(batch, error);
      // One bad event must not block the others: apply one by one, park the ones that fail.
      this.logger.warn(`batch of ${batch.length} failed (${(error as Error).message}); applying one by one`);
      let lastProgressAt = Date.now();
      for (const item of parsed) {
        // Packed messages can make this thousands of transactions, longer than the ack wait: keep JetStream
        // from handing the batch to another replica meanwhile.
        if (Date.now() - lastProgressAt > ACK_WAIT_MS / 3) {
          for (const message of batch) message.working();
          lastProgressAt = Date.now();
        }
        const event = item.parsed;
        if (isEventProblem(event)) {
          this.logger.warn(await this.parkAlone(item, event.problem, event.body));
          continue;
        }
        const startedOne = Date.now();
        try {
          let fresh: ReceivedEvent[] = [];
          await this.inTransaction(async (statements, handle) => {
            fresh = await this.consumed.recordNew(statements, validEvents([item]));
            if (fresh.length > 0) await handle(fresh);
          });
          this.applied([item], fresh, startedOne);
        } catch (handlerError) {
          // The store failed this one, not the event: parked, a revocation would be lost for good. The events applied
          // one by one before it are recorded as consumed, so the redelivered batch applies none of them twice.
          if (isDatabaseUnavailable(handlerError)) throw this.handBack(batch, handlerError);
          // The event itself, not the whole message: a message may carry many events (EVENTS_PER_MESSAGE).
          this.logger.warn(await this.parkAlone(item, `handler failed: ${(handlerError as Error).message}`, JSON.stringify(event.event)));
        }
      }
    }
    for (const message of batch) message.ack();
  }

  /** Hands the batch back for redelivery instead of parking its events; returns the error that ends this subscription. */
  private handBack(batch: JsMsg[], error: unknown): Error {
    for (const message of batch) message.nak(1000);
    return new Error(`database unavailable: ${(error as Error).message}`);
  }

  /**
   * One transaction of this consumer, given its statements and the handler to apply fresh events with: a
   * pipelined transaction for a `StatementsHandler`, else TypeORM's, whose manager the handler gets.
   */
  private inTransaction(work: (statements: Statements, handle: (events: ReceivedEvent[]) => Promise<void>) => Promise<void>): Promise<void> {
    const handler = this.handler;
    if (typeof handler !== 'function') return this.database.pipelinedTransaction((statements) => work(statements, (events) => handler.statements(statements, events)));
    return this.database.transaction((manager) => work(statementsIn(manager), (events) => handler(manager, events)));
  }

  /** Stores the message (or the one event of it given) with the reason; returns the log line for the caller to write once committed. */
  private async park(statements: Statements, item: FetchedEvent, reason: string, body = Buffer.from(item.message.data).toString('utf8')): Promise<ParkedLine> {
    const { message } = item;
    await insertRows(statements, ParkedEvent, [{ consumer: this.options.durable, subject: message.subject, body: body.slice(0, 65536), reason, parkedAt: Date.now() }]);
    return { msg: `parked message ${message.seq} on ${message.subject}: ${reason}`, requestId: item.origin.requestId };
  }

  /** `park` in a transaction of its own. */
  private async parkAlone(item: FetchedEvent, reason: string, body?: string): Promise<ParkedLine> {
    let line!: ParkedLine;
    await this.inTransaction(async (statements) => void (line = await this.park(statements, item, reason, body)));
    return line;
  }

  /**
   * After the commit: each event applied (`fresh`; a redelivered one was skipped) at `debug` with the request that
   * wrote it and, while tracing is on, a span in that request's trace (its parent is the context the event's
   * message carries) over the apply.
   */
  private applied(items: FetchedEvent[], fresh: ReceivedEvent[], startedAt: number): void {
    if (fresh.length === 0) return;
    const applied = new Set(fresh);
    const tracing = tracingIsOn();
    for (const item of items) {
      if (isEventProblem(item.parsed) || !applied.has(item.parsed)) continue;
      const { subject, event } = item.parsed;
      const trace = item.origin.trace ? traceIdsOf(item.origin.trace) : undefined;
      this.logger.debug({ msg: 'event applied', subject, eventId: event.eventId, requestId: item.origin.requestId, ...trace });
      if (!tracing || !item.origin.trace) continue;
      const span = startSpan(`process ${subject}`, {
        kind: SpanKind.CONSUMER,
        parent: item.origin.trace,
        startTime: startedAt,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': subject,
          'messaging.consumer.group.name': this.options.durable,
          'messaging.message.id': event.eventId,
        },
      });
      endSpan(span);
    }
  }
}

/** A parked event's warning: its text and the request that wrote the event. */
interface ParkedLine {
  msg: string;
  requestId?: string;
}

function validEvents(items: Array<{ parsed: DecodedEvent }>): ReceivedEvent[] {
  return items.map((item) => item.parsed).filter((parsed): parsed is ReceivedEvent => !isEventProblem(parsed));
}
