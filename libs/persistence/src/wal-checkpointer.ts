import { Logger } from '@nestjs/common';
import { WorkerThread } from '@keymint/threads';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { SerialQueue } from './serial-queue';

/** How often the worker copies newly committed WAL pages into the database file. */
const CHECKPOINT_INTERVAL_MS = 50;
/** WAL size (pages of 4 KiB) at which writes pause for a moment so that the log can start over. */
const RESTART_AT_FRAMES = 4096;
/** A catch-up that takes longer than this gives up (writes resume; the next one tries again). */
const CATCH_UP_TIMEOUT_MS = 5000;
/** After a catch-up that could not finish the log (a reader holds part of it), wait this long before the next one. */
const CATCH_UP_SPACING_MS = 1000;
/** Checkpoints failing this many rounds in a row (I/O error, full disk) hand checkpointing back to SQLite. */
const MAX_FAILURES_IN_A_ROW = 20;

/** What `PRAGMA wal_checkpoint` reports: frames in the log, and how many of them are in the database file. */
interface CheckpointProgress {
  logFrames: number;
  checkpointedFrames: number;
}

/** A round's progress (null: that round failed), on its own or as the answer to a catch-up. */
interface CheckpointReport {
  type: 'progress' | 'caught-up';
  id?: number;
  progress: CheckpointProgress | null;
}

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
let failuresInARow = 0;
function checkpoint() {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    failuresInARow = 0;
    return { logFrames: result.log, checkpointedFrames: result.checkpointed };
  } catch (error) {
    // One failure is left to the next round; a run of them ends the worker (the service then checkpoints itself).
    if (++failuresInARow >= workerData.maxFailures) throw error;
    return null;
  }
}
const timer = setInterval(() => parentPort.postMessage({ type: 'progress', progress: checkpoint() }), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'catch-up') {
    parentPort.postMessage({ type: 'caught-up', id: message.id, progress: checkpoint() });
    return;
  }
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
 * (`wal_autocheckpoint = 0`) and a second connection on its own thread copies
 * committed pages every 50 ms.
 *
 * The log starts over only when a write begins while every page of it is in
 * the database file. Under steady writes that moment never comes by itself
 * (the log grew by ~50 MB/s under `npm run bench`), so once it holds 16 MiB
 * the `Database` holds its writes back while the worker copies the last
 * pages (`afterCommit`); the event loop keeps serving meanwhile, and the next
 * write starts the log over.
 */
export class WalCheckpointer {
  private readonly logger = new Logger('WalCheckpointer');
  private readonly thread: WorkerThread<CheckpointReport>;
  private logFrames = 0;
  private catchUpQueued = false;
  private nextCatchUpAt = 0;

  constructor(dataSource: DataSource) {
    const connection = (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
    connection.pragma('wal_autocheckpoint = 0');
    this.thread = new WorkerThread<CheckpointReport>({
      script: WORKER_SOURCE,
      worker: {
        eval: true,
        workerData: {
          driverPath: require.resolve('better-sqlite3'),
          file: connection.name,
          intervalMs: CHECKPOINT_INTERVAL_MS,
          maxFailures: MAX_FAILURES_IN_A_ROW,
        },
      },
      onMessage: (report) => this.note(report.progress),
      onFailure: (reason) => {
        // Without the worker, SQLite checkpoints on its own again: slower commits, but the log stays bounded.
        this.logger.warn(`checkpoint worker stopped (${reason}); SQLite checkpoints in COMMIT again`);
        connection.pragma('wal_autocheckpoint = 1000');
      },
    });
    this.thread.start();
  }

  /**
   * After a commit: once the log is long, queue a catch-up behind the writes
   * already waiting. While it runs no write can start; when it ends the whole
   * log is in the database file and the next write starts it over.
   */
  afterCommit(writeQueue: SerialQueue): void {
    if (this.thread.ended || this.catchUpQueued || this.logFrames < RESTART_AT_FRAMES || Date.now() < this.nextCatchUpAt) return;
    this.catchUpQueued = true;
    const settle = (finished: boolean) => {
      this.catchUpQueued = false;
      this.nextCatchUpAt = finished ? 0 : Date.now() + CATCH_UP_SPACING_MS;
    };
    void writeQueue.run(() => this.catchUp()).then(settle, () => settle(false));
  }

  /** True when the whole log is now in the database file. */
  private async catchUp(): Promise<boolean> {
    if (this.thread.ended) return false;
    const progress = await this.thread.request((id) => ({ type: 'catch-up', id }), CATCH_UP_TIMEOUT_MS).then(
      (report) => report.progress,
      () => null,
    );
    this.note(progress);
    const finished = progress !== null && progress.checkpointedFrames === progress.logFrames;
    if (finished) this.logFrames = 0;
    return finished;
  }

  /** Stops the worker; the last connection's close then checkpoints what is left. */
  async stop(): Promise<void> {
    await this.thread.stop({ type: 'stop' });
  }

  private note(progress: CheckpointProgress | null): void {
    if (progress) this.logFrames = progress.logFrames;
  }
}
