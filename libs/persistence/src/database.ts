import { DataSource, EntityManager } from 'typeorm';
import { isPostgres } from './data-source';
import { SerialQueue } from './serial-queue';
import { WalCheckpointer } from './wal-checkpointer';

/**
 * The one door to a service's store. `transaction` is safe to call
 * concurrently on both backends: on SQLite transactions are serialized, on
 * PostgreSQL they run in parallel on the pool.
 */
export class Database {
  private readonly queue = new SerialQueue();
  private readonly afterCommitListeners: Array<() => void> = [];
  readonly postgres: boolean;
  private readonly checkpointer?: WalCheckpointer;

  constructor(readonly dataSource: DataSource) {
    this.postgres = isPostgres(dataSource);
    if (!this.postgres) this.checkpointer = new WalCheckpointer(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = () => this.dataSource.transaction(work);
    const result = this.postgres ? await run() : await this.queue.run(run);
    // SQLite: a long write-ahead log is checkpointed to its end while no write can start (see WalCheckpointer).
    this.checkpointer?.afterCommit(this.queue);
    for (const listener of this.afterCommitListeners) listener();
    return result;
  }

  /** Reads that must not see another transaction's uncommitted rows on SQLite's shared connection. */
  async consistentRead<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.postgres ? work(this.manager) : this.queue.run(() => work(this.manager));
  }

  /** Called after every committed transaction (the outbox relay wakes up on it). */
  onCommit(listener: () => void): void {
    this.afterCommitListeners.push(listener);
  }

  async ping(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.dataSource.isInitialized) await this.queue.run(() => this.dataSource.destroy());
  }
}
