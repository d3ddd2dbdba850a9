import { DataSource, EntityManager } from 'typeorm';
import { isPostgres, releaseSqliteStore } from './data-source';
import { SerialQueue } from './serial-queue';
import { allAnswered, lateStatement, PostgresPipeline, Statements, statementsIn } from './statements';
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
  private readonly pipeline?: PostgresPipeline;

  constructor(readonly dataSource: DataSource) {
    this.postgres = isPostgres(dataSource);
    if (this.postgres) this.pipeline = new PostgresPipeline(dataSource);
    else this.checkpointer = new WalCheckpointer(dataSource);
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

  /**
   * A write transaction of plain SQL (`Statements`). `work` gives the
   * statements and resolves once it has given the last one; it need not wait
   * for answers it does not use, since the transaction waits for every
   * statement's answer and fails if any failed. On PostgreSQL it is pipelined
   * (`PostgresPipeline`): statements that do not wait for each other's
   * answers cost one round trip together, BEGIN and COMMIT included, and these
   * transactions run one after another in the order begun, each seeing the
   * ones before it committed. On SQLite it is a `transaction` whose
   * statements run in turn.
   */
  async pipelinedTransaction(work: (statements: Statements) => Promise<void>): Promise<void> {
    if (!this.pipeline) {
      return this.transaction(async (manager) => {
        const statements = statementsIn(manager);
        const answers: Array<Promise<unknown>> = [];
        let open = true;
        try {
          await work({ connection: statements.connection, query: (sql, parameters) => (open ? track(answers, statements.query(sql, parameters)) : lateStatement()) });
        } finally {
          // As on PostgreSQL, where the COMMIT goes out once the work has resolved.
          open = false;
        }
        await allAnswered(answers);
      });
    }
    await this.pipeline.transaction(work);
    for (const listener of this.afterCommitListeners) listener();
  }

  /**
   * Resolves when a pipelined transaction begun now would go out at once: on
   * PostgreSQL once those begun before have been sent (not answered) and few
   * enough wait for their answers (`PostgresPipeline.ready`), on SQLite once
   * they have committed. A group commit gathers its next batch until then.
   */
  pipelineReady(): Promise<void> {
    return this.pipeline ? this.pipeline.ready() : this.queue.run(async () => undefined);
  }

  /**
   * A read of plain SQL that sees every write transaction begun before it committed: on PostgreSQL on the
   * connection kept for pipelined transactions, in turn with them, as a named statement; on SQLite in turn
   * with the transactions (`consistentRead`).
   */
  read<Row>(sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
    if (this.pipeline) return this.pipeline.query<Row>(sql, parameters);
    return this.consistentRead((manager) => manager.query(sql, parameters as unknown[]) as Promise<Row[]>);
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
    await this.pipeline?.close();
    if (this.dataSource.isInitialized) await this.queue.run(() => this.dataSource.destroy());
    releaseSqliteStore(this.dataSource);
  }
}

function track<T>(answers: Array<Promise<unknown>>, answer: Promise<T>): Promise<T> {
  answers.push(answer);
  return answer;
}
