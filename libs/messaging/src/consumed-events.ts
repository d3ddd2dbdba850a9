import { Logger } from '@nestjs/common';
import { ReceivedEvent, StreamDefinition } from '@keymint/contracts';
import { Database, deleteRows, insertRows, selectRows, SqlRunner } from '@keymint/persistence';
import { ConsumedEvent } from './messaging.entities';
import { NatsClient } from './nats-client';

/**
 * The eventIds applied longer ago than the stream's max_age are forgotten
 * (TOKEN_EVENT_RETENTION): a chunk per transaction, at most one chunk every
 * FORGET_PACE_MS while a backlog lasts (millions after an upgrade) so that
 * it interleaves with the batches instead of slowing them, then looked for
 * again every FORGET_EVERY_MS.
 */
const FORGET_EVERY_MS = 10 * 60_000;
const FORGET_PACE_MS = 250;
const FORGET_CHUNK = 5000;

/**
 * A durable consumer's record of the events it has applied: what makes its
 * effects exactly-once. Each batch's ids are recorded in the batch's own
 * transaction; ids older than the stream keeps messages are forgotten.
 */
export class ConsumedEvents {
  /** When to look for eventIds past the stream's max_age next; 0: now. */
  private forgetDueAt = 0;

  constructor(
    private readonly nats: NatsClient,
    private readonly database: Database,
    private readonly stream: StreamDefinition,
    private readonly durable: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Records the events' ids and returns those not applied before, in order, each once: one INSERT that skips
   * the ids already recorded and returns those it wrote. (An id another replica is recording at the same
   * moment waits for that transaction and is skipped once it commits.)
   */
  async recordNew(statements: SqlRunner, events: ReceivedEvent[]): Promise<ReceivedEvent[]> {
    if (events.length === 0) return [];
    const firsts = new Map<string, ReceivedEvent>();
    for (const event of events) if (!firsts.has(event.event.eventId)) firsts.set(event.event.eventId, event);
    const now = Date.now();
    const rows = [...firsts.keys()].map((eventId) => ({ eventId, consumer: this.durable, consumedAt: now }));
    const written = await insertRows(statements, ConsumedEvent, rows, 'ON CONFLICT ("eventId") DO NOTHING RETURNING "eventId"');
    const fresh = new Set(written.map((row) => row.eventId));
    return [...firsts.values()].filter((event) => fresh.has(event.event.eventId));
  }

  /** Housekeeping when it is due: a failure is logged and tried again later, and never holds up consuming. */
  async forgetOldIfDue(): Promise<void> {
    if (Date.now() < this.forgetDueAt) return;
    try {
      const forgotten = await this.forgetOld();
      this.forgetDueAt = Date.now() + (forgotten === FORGET_CHUNK ? FORGET_PACE_MS : FORGET_EVERY_MS);
    } catch (error) {
      this.forgetDueAt = Date.now() + FORGET_EVERY_MS;
      this.logger.warn(`forgetting old eventIds failed, trying again in ${FORGET_EVERY_MS / 60_000} min: ${(error as Error).message}`);
    }
  }

  /**
   * Deletes up to FORGET_CHUNK of the eventIds this consumer applied longer ago than the stream's max_age; returns
   * how many. The stream's own setting, read now, not this service's: those messages are gone from the stream,
   * so none of them can be delivered again, whoever set it. Only a publisher that comes back after longer than
   * that with events it had sent but not yet marked sent could bring one in twice (docs/decisions.md). A stream
   * that keeps everything (max_age 0, REGISTRY) keeps every id too.
   */
  private async forgetOld(): Promise<number> {
    const jetStreamManager = await this.nats.manager();
    const maxAgeMs = (await jetStreamManager.streams.info(this.stream.name)).config.max_age / 1e6;
    if (maxAgeMs <= 0) return 0;
    const cutoff = Date.now() - maxAgeMs;
    return this.database.transaction(async (manager) => {
      const rows = await selectRows(
        manager,
        ConsumedEvent,
        (params) => `"consumer" = ${params.add(this.durable)} AND "consumedAt" < ${params.add(cutoff)}`,
        FORGET_CHUNK,
      );
      await deleteRows(manager, ConsumedEvent, 'eventId', rows.map((row) => row.eventId));
      return rows.length;
    });
  }
}
