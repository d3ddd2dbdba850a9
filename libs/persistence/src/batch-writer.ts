import { Database } from './database';
import { Statements } from './statements';

/**
 * Group commit: items submitted while a transaction is running are written
 * together in the next one. Each caller's promise settles when its own item is
 * durable. This is what makes many small writes per second cheap on SQLite,
 * and, with the batch's statements pipelined (`pipelinedTransaction`), on
 * PostgreSQL.
 */
export class BatchWriter<Item> {
  private pending: Array<{ item: Item; resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  constructor(
    private readonly database: Database,
    private readonly writeBatch: (statements: Statements, items: Item[]) => Promise<void>,
    private readonly maxBatch = 1000,
  ) {}

  submit(item: Item): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    // Let the requests that arrived in the same tick join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.database.pipelinedTransaction((statements) => this.writeBatch(statements, batch.map((entry) => entry.item))).then(
        () => {
          for (const entry of batch) entry.resolve();
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      );
      // The next batch gathers while this one is written: on PostgreSQL until it has been sent, on SQLite until it is committed.
      await this.database.pipelineReady();
    }
    this.flushing = false;
  }
}
