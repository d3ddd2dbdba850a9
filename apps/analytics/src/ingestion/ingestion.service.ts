import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { durableName, EventSubject, REGISTRY_STREAM, TOKENS_STREAM } from '@keymint/contracts';
import { DurableConsumer, NatsClient } from '@keymint/messaging';
import { Database } from '@keymint/persistence';
import { COUNTED_SUBJECTS } from './counted-events';
import { applyEvents } from './rollup-writer';

const counted = (subject: EventSubject) => COUNTED_SUBJECTS.has(subject);

/**
 * The two durable consumers. Replicas share the durable names and split the
 * work; a restarted service resumes where the durable consumer stopped.
 */
@Injectable()
export class IngestionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumers: DurableConsumer[];

  constructor(@Inject(NatsClient) nats: NatsClient, @Inject(Database) database: Database) {
    this.consumers = [
      new DurableConsumer(nats, database, { stream: TOKENS_STREAM, durable: durableName('analytics', TOKENS_STREAM), batchSize: 1000, applies: counted }, applyEvents),
      new DurableConsumer(nats, database, { stream: REGISTRY_STREAM, durable: durableName('analytics', REGISTRY_STREAM), batchSize: 500, applies: counted }, applyEvents),
    ];
  }

  onApplicationBootstrap(): void {
    for (const consumer of this.consumers) consumer.start();
  }

  // Module destroy runs before the messaging module's shutdown hook closes NATS, so the last batch is acked.
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }
}
