import type { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { isPostgres } from './data-source';

/**
 * Plain SQL statements of one transaction. `query` sends a statement at once
 * and resolves with its rows; statements run in the order they were given,
 * whether or not the caller waited for the answers of those before. On
 * PostgreSQL (`pipelinedTransaction`) that is what pipelining means: a
 * transaction whose statements do not need each other's answers is one round
 * trip to the server, BEGIN and COMMIT included. Everything that takes an
 * EntityManager for plain SQL (`insertRows`, `selectRows`) takes these too.
 * A statement's answer that nobody awaits is not reported as an unhandled
 * rejection: in a `pipelinedTransaction` the transaction awaits every answer.
 */
export interface Statements {
  readonly connection: DataSource;
  query<Row = Record<string, unknown>>(sql: string, parameters?: readonly unknown[]): Promise<Row[]>;
}

/** Where plain SQL runs (`insertRows`, `selectRows`): an EntityManager, or a transaction's `Statements`. */
export type SqlRunner = Pick<Statements, 'connection'> & { query(sql: string, parameters?: unknown[]): Promise<unknown> };

/**
 * Waits for every one of statements sent together, then throws the first failure if any: a
 * failure never leaves the others' answers unawaited (an unhandled rejection ends the process).
 */
export async function allAnswered(pending: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(pending)).find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The statements of a TypeORM transaction (`Database.transaction`), for code
 * written with `Statements`. On PostgreSQL they are pipelined on the
 * transaction's own connection like `pipelinedTransaction`'s (TypeORM still
 * sends BEGIN and COMMIT): await any TypeORM call on the manager before giving
 * statements here, or it could reach the connection after them. On SQLite they
 * run one after another.
 */
export function statementsIn(manager: EntityManager): Statements {
  const queryRunner = manager.queryRunner;
  if (!queryRunner) throw new Error('statementsIn needs the manager of a transaction');
  const client = isPostgres(manager.connection) ? (queryRunner as unknown as { databaseConnection?: PoolClient }).databaseConnection : undefined;
  if (client) {
    const send = pipelinedSender(client);
    return {
      connection: manager.connection,
      // Once released, the connection may be another transaction's.
      query: <Row>(sql: string, parameters: readonly unknown[] = []) =>
        queryRunner.isReleased ? lateStatement() : handled(send(sql, parameters).then((result) => result.rows as Row[])),
    };
  }
  let tail: Promise<unknown> = Promise.resolve();
  return {
    connection: manager.connection,
    query<Row>(sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
      const run = async () => ((await queryRunner.query(sql, parameters as unknown[], true)).records ?? []) as Row[];
      const result = tail.then(run, run);
      tail = handled(result);
      return result;
    },
  };
}

/**
 * The answer to a statement given after its transaction was sent in full (its COMMIT gone): it is not run, and
 * its caller gets this failure as the statement's answer, never a throw (a throw in a callback, say on an
 * earlier statement's answer, would end the process as an unhandled rejection or an uncaught exception).
 */
export function lateStatement(): Promise<never> {
  return handled(Promise.reject(new Error('a statement given after its transaction was sent in full was not run')));
}

/** The promise itself, marked as handled (its rejection still reaches whoever awaits it). */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Statement texts that have a name (a server-side prepared statement): those
 * of the hot paths, one text per table or operation. A named statement is
 * parsed once per connection; later runs send only its parameters. Bounded,
 * so that a text built per call could never fill the server's memory.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 200;

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `keymint_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Sends statements on a connection in `pipeline` mode without waiting for
 * answers: those with parameters as named statements, and those given in one
 * turn of the event loop in one write to the socket, not one system call each.
 * The caller awaits every answer (`allAnswered`); a failure nobody awaits yet
 * is not reported as unhandled meanwhile.
 */
function pipelinedSender(client: PoolClient): (sql: string, parameters?: readonly unknown[]) => Promise<QueryResult> {
  const socket = (client as unknown as { connection: { stream: Writable } }).connection.stream;
  let corked = false;
  return (sql, parameters) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return handled(parameters === undefined ? client.query(sql) : client.query({ name: statementName(sql), text: sql, values: parameters as unknown[] }));
  };
}

/**
 * Write transactions on PostgreSQL, pipelined on one connection that the store
 * keeps for them (node-postgres's `pipeline` mode). A transaction's BEGIN goes
 * out with its first statement and its COMMIT as soon as its work has given
 * its last statement (the work resolves then; it need not wait for answers it
 * does not use: the transaction waits for every one), and the next transaction
 * goes out as soon as the one before has been sent, not answered. One
 * connection runs statements strictly in the order received, so each
 * transaction still sees every earlier one committed (a renewal revokes the
 * token the batch before it wrote) without a round trip's wait for that. If a
 * statement fails, PostgreSQL turns that transaction's COMMIT into a rollback
 * and its promise rejects; the transactions after it are not affected.
 */
export class PostgresPipeline {
  private readonly logger = new Logger('PostgresPipeline');
  private client?: PoolClient;
  /** Stops listening for the kept connection's loss (letGo). */
  private unwatch?: () => void;
  private broken = false;
  private sending: Promise<void> = Promise.resolve();
  /** The answers of the transactions sent and not yet answered, oldest first. */
  private readonly unanswered: Array<Promise<unknown>> = [];

  constructor(
    private readonly dataSource: DataSource,
    /** How many transactions a batch writer lets be on their way before it sends another (`ready`). */
    private readonly maxUnanswered = 2,
  ) {}

  /**
   * Resolves when a transaction begun now would go out at once: every one begun before has been sent,
   * and fewer than `maxUnanswered` of them wait for their answers. A batch writer gathers its next batch
   * meanwhile: without the bound every turn of the event loop would be a transaction of its own.
   */
  async ready(): Promise<void> {
    await this.sending;
    while (this.unanswered.length >= this.maxUnanswered) await this.unanswered[0];
  }

  /**
   * One statement on the kept connection, outside any transaction, in turn with the transactions (it sees
   * every one begun before it committed): a named statement, parsed once per connection.
   */
  async query<Row>(sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
    const previous = this.sending;
    let sent!: () => void;
    this.sending = new Promise<void>((resolve) => (sent = resolve));
    let answer: Promise<QueryResult>;
    let client: PoolClient;
    try {
      await previous;
      client = await this.connection();
      answer = pipelinedSender(client)(sql, parameters);
    } finally {
      sent();
    }
    return (await answer).rows as Row[];
  }

  transaction(work: (statements: Statements) => Promise<void>): Promise<void> {
    const previous = this.sending;
    let sentInFull!: () => void;
    this.sending = new Promise<void>((resolve) => (sentInFull = resolve));
    const result = this.run(previous, work, sentInFull);
    const answered = result.catch(() => undefined);
    this.unanswered.push(answered);
    void answered.then(() => this.unanswered.splice(this.unanswered.indexOf(answered), 1));
    return result;
  }

  /** Waits for the transactions under way and gives the connection back (before the pool is closed). */
  async close(): Promise<void> {
    await this.sending;
    await Promise.all(this.unanswered);
    this.letGo();
  }

  private async run(previous: Promise<void>, work: (statements: Statements) => Promise<void>, sentInFull: () => void): Promise<void> {
    await previous;
    const sent: Array<Promise<QueryResult>> = [];
    let commit: Promise<QueryResult>;
    let open = true;
    try {
      const sendOn = pipelinedSender(await this.connection());
      const send = (sql: string, parameters?: readonly unknown[]): Promise<QueryResult> => {
        if (!open) return lateStatement();
        const result = sendOn(sql, parameters);
        sent.push(result);
        return result;
      };
      void send('BEGIN');
      try {
        await work({ connection: this.dataSource, query: <Row>(sql: string, parameters: readonly unknown[] = []) => handled(send(sql, parameters).then((result) => result.rows as Row[])) });
      } catch (error) {
        // Sent before the next transaction's BEGIN, so that one starts clean.
        void send('ROLLBACK');
        throw error;
      }
      commit = send('COMMIT');
    } finally {
      open = false;
      sentInFull();
    }
    await allAnswered(sent);
    // A COMMIT of a failed transaction answers ROLLBACK instead of an error.
    if ((await commit).command !== 'COMMIT') throw new Error('the transaction was rolled back');
  }

  /** The kept connection; a new one after the last was lost (PostgreSQL restarted, the network broke). */
  private async connection(): Promise<PoolClient> {
    if (this.client && this.broken) this.letGo(new Error('connection lost'));
    if (!this.client) {
      const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
      const client = await pool.connect();
      this.broken = false;
      // Also when a statement meets the pool's answer timeout (POSTGRES_ANSWER_TIMEOUT_MS): node-postgres destroys a
      // pipelined connection then, failing every statement waiting on it as a lost connection.
      const lost = (error?: Error) => {
        if (!this.broken) this.logger.warn(`the connection kept for pipelined transactions was lost${error ? `: ${error.message}` : ''}; the next transaction takes a new one`);
        this.broken = true;
      };
      const ended = () => lost();
      client.on('error', lost);
      client.on('end', ended);
      this.unwatch = () => {
        client.off('error', lost);
        client.off('end', ended);
      };
      this.client = client;
    }
    return this.client;
  }

  /**
   * Gives the kept connection back to the pool (which drops it when `error` is given), no longer watched: its end
   * afterwards (the pool closing it at shutdown) is not a lost connection of this pipeline's.
   */
  private letGo(error?: Error): void {
    // Released first: the pool watches the connection's errors from then on.
    this.client?.release(error);
    this.unwatch?.();
    this.client = undefined;
    this.unwatch = undefined;
  }
}
