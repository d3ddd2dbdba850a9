import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource } from 'typeorm';

/** How often the worker copies the WAL back into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * The worker's code, run with `eval` so that it needs no separate file (the
 * same source works from dist/ and under Jest). PASSIVE never waits for a
 * lock and never makes the writer wait: it copies what is committed and
 * leaves the rest for the next round.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next round catches up */ }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a SQLite store's write-ahead log from a worker thread.
 *
 * better-sqlite3 runs SQLite on the calling thread. SQLite's automatic
 * checkpoint runs inside the COMMIT that crosses 1,000 WAL pages and copies
 * them all into the database file: measured on the token path, one commit in
 * ten took 5-16 ms, the event loop stalled for all of it (every request in
 * flight waited). Here the service's own connection never checkpoints
 * (`wal_autocheckpoint = 0`) and a second connection on its own thread does,
 * every 200 ms. Once a checkpoint has copied the whole log, the next commit
 * starts the log over from its beginning, so the WAL stays small.
 */
export class WalCheckpointer {
  private readonly logger = new Logger('WalCheckpointer');
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(dataSource: DataSource) {
    const connection = (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
    connection.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driverPath: require.resolve('better-sqlite3'), file: connection.name, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    this.exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Without the worker, SQLite checkpoints on its own again: slower commits, but the log stays bounded.
    this.worker.once('error', (error) => {
      this.logger.warn(`checkpoint worker failed, SQLite checkpoints in COMMIT again: ${error.message}`);
      connection.pragma('wal_autocheckpoint = 1000');
    });
    // The service must not stay up only because this thread does.
    this.worker.unref();
  }

  /** Stops the worker; the last connection's close then checkpoints what is left. */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    await this.exited;
  }
}
