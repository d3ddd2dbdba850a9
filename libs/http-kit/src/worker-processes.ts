import cluster, { Worker } from 'node:cluster';
import { ShutdownSignal } from '@nestjs/common';
import type { ServiceName } from '@keymint/config';
import type { ServiceLoggers } from '@keymint/telemetry';
import { answerMetricsRequest, isServiceWorker, METRICS_REPORT, METRICS_REQUEST, MetricsReport, primaryRegistry, WorkerMetrics } from './worker-metrics';

export { isServiceWorker, serviceMetrics } from './worker-metrics';

/** How many processes serve a service, and how long each may take to start (runWorkerProcesses). */
export interface WorkerSettings {
  /** TOKEN_WORKERS. */
  count: number;
  /** TOKEN_WORKER_START_TIMEOUT: seconds from a worker's start until it is prepared (its app initialized, migrations applied). */
  startTimeoutSeconds: number;
}

/**
 * A worker that stops before it is ready, or within QUICK_STOP_MS of it, stopped "quickly". Each quick stop in a row
 * of the same worker waits longer before its replacement starts; one more than there are delays stops the service
 * (exit 1): a worker that cannot run is a fault for the supervisor, not a loop of forks.
 */
const QUICK_STOP_MS = 30_000;
const RESTART_DELAYS_MS = [1000, 2000, 4000, 8000];

/**
 * A service served by several processes on the same ports (TOKEN_WORKERS, docs/operations.md "Serving from several
 * cores"). This process, the primary, serves nothing itself: it starts the first worker alone (it applies the
 * migrations, creates the streams and the key files, as the first replica after an upgrade must), then the others
 * together, lets them all listen once all are prepared, passes the signals on, replaces a worker that dies (later
 * each time one keeps dying at its start), and sums their metrics (WorkerMetrics).
 *
 * Each worker is a whole service, as a replica on another machine would be, and listens on the same ports: the
 * primary holds the listening sockets and deals the connections out in turn (SCHED_RR); a connection's requests
 * then go to its worker directly. What replicas share, they share the same way: the store (PostgreSQL), the bus, DATA_DIR.
 */
export async function runWorkerProcesses(name: ServiceName, workers: WorkerSettings, loggers: ServiceLoggers, shutdownDelaySeconds: number): Promise<void> {
  const log = loggers.app;
  // The primary accepts each connection and hands it to the workers in turn (round robin): the connections are
  // dealt evenly (letting every worker accept on the shared socket, SCHED_NONE, gave the busier of two workers 61%
  // and 74% of a benchmark's requests, against 50-66% this way: docs/performance.md). Only accepting costs the
  // primary: the requests of a connection go to its worker directly.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const metrics = new WorkerMetrics({ service: name, workers: workers.count, own: primaryRegistry(name), log });
  let stopping: NodeJS.Signals | undefined;
  /** Set when the service stops because of a worker that cannot run: the primary then exits 1. */
  let failed = false;
  let serving = false;
  const running = new Set<Worker>();
  /** Per worker index: its quick stops in a row. */
  const quickStops = new Map<number, number>();

  /** A worker, once it is prepared (its app initialized, not yet listening), within the start timeout. */
  const fork = (index: number): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ KEYMINT_WORKER_INDEX: String(index) });
      running.add(worker);
      metrics.add(index, worker);
      let prepared = false;
      let readyAt: number | undefined;
      let startTimedOut = false;
      // A worker that hangs at its start (a lock the migrations wait for, NATS that never answers) would hold the
      // service's start, or its slot, forever.
      const startTimer = setTimeout(() => {
        startTimedOut = true;
        worker.process.kill('SIGKILL');
      }, workers.startTimeoutSeconds * 1000);
      // A message sent as the worker goes away fails here; without a listener it would end the primary, and every worker with it.
      worker.on('error', (error: Error) => log.warn(`${name} worker ${index}: ${error.message}`));
      worker.on('message', (message: { type?: string; id?: number }) => {
        if (message?.type === PREPARED) {
          prepared = true;
          clearTimeout(startTimer);
          resolve(worker);
        } else if (message?.type === READY) {
          readyAt = Date.now();
        } else if (message?.type === METRICS_REPORT) {
          metrics.receive(worker, message as MetricsReport);
        } else if (message?.type === METRICS_REQUEST) {
          answerMetricsRequest(metrics, worker, message);
        }
      });
      worker.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        running.delete(worker);
        metrics.remove(worker);
        const how = startTimedOut ? `not ready within ${workers.startTimeoutSeconds} s of its start` : (signal ?? `exit code ${code}`);
        if (!prepared) {
          reject(
            new Error(
              startTimedOut
                ? `${name} worker ${index} was not ready within ${workers.startTimeoutSeconds} s of its start (TOKEN_WORKER_START_TIMEOUT); stopping`
                : `${name} worker ${index} stopped before it was ready (${how})`,
            ),
          );
        }
        if (stopping) {
          if (running.size === 0) finish(stopping);
        } else if (serving) {
          replace(index, how, readyAt !== undefined && Date.now() - readyAt >= QUICK_STOP_MS);
        }
      });
    });

  /** A worker that dies is replaced; the others serve meanwhile (its open connections are lost, as a replica's). */
  const replace = (index: number, how: string, livedLong: boolean) => {
    const inARow = livedLong ? 0 : (quickStops.get(index) ?? 0) + 1;
    quickStops.set(index, inARow);
    if (inARow > RESTART_DELAYS_MS.length) {
      log.fatal(
        `${name} worker ${index} stopped ${inARow} times in a row before it was ready or within ${QUICK_STOP_MS / 1000} s of it (last: ${how}); ` +
          'stopping the service: its messages above say why',
      );
      failed = true;
      stop('SIGTERM');
      return;
    }
    const delayMs = inARow === 0 ? 0 : RESTART_DELAYS_MS[inARow - 1];
    log.error(`${name} worker ${index} stopped (${how}); starting another` + (delayMs > 0 ? ` in ${delayMs / 1000} s (${inARow} quick stops in a row)` : ''));
    setTimeout(() => {
      if (stopping) return;
      // Its failure is its exit's to handle (above): a replacement that stops at start is replaced in turn, later.
      fork(index)
        .then((replacement) => listenAll([replacement]))
        .catch(() => undefined);
    }, delayMs);
  };

  /** Lets workers open the ports; resolves once they listen, fails when one stops first (a port taken, say). */
  const listenAll = (ready: Worker[]): Promise<void> =>
    Promise.all(
      ready.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (message: { type?: string }) => {
              if (message?.type !== READY) return;
              worker.off('message', onMessage);
              worker.off('exit', onExit);
              resolve();
            };
            const onExit = (code: number, signal: string | null) =>
              reject(new Error(`${name} worker ${worker.id} stopped before it listened (${signal ?? `exit code ${code}`})`));
            worker.on('message', onMessage);
            worker.once('exit', onExit);
            sendIfConnected(worker, { type: LISTEN });
          }),
      ),
    ).then(() => undefined);

  // The workers stop as a single process would (readiness DOWN, SHUTDOWN_DELAY, drain, hooks), all at once.
  const signals = Object.values(ShutdownSignal) as NodeJS.Signals[];
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = signal;
    for (const worker of running) worker.process.kill(signal);
    if (running.size === 0) finish(signal);
    // After SHUTDOWN_DELAY (the workers' readiness DOWN meanwhile) every worker drains at once. The listening
    // sockets are cluster's (round robin): they close when the last worker has closed its server, and connections
    // accepted meanwhile but not yet handed out are reset then (docs/operations.md, "Serving from several cores").
    setTimeout(() => {
      for (const worker of running) sendIfConnected(worker, { type: DRAIN });
    }, shutdownDelaySeconds * 1000);
  };
  const finish = (signal: NodeJS.Signals) => {
    for (const each of signals) process.removeListener(each, stop);
    if (failed) process.exit(1);
    process.kill(process.pid, signal);
  };
  for (const signal of signals) process.on(signal, stop);

  try {
    // The first alone: it applies the migrations, creates the streams and the key files. Then the others together.
    const first = await fork(1);
    const others = await Promise.all(Array.from({ length: workers.count - 1 }, (_, offset) => fork(offset + 2)));
    if (stopping) return;
    // The ports open on every worker at once: a service that answers its probes is the whole service.
    await listenAll([first, ...others]);
  } catch (error) {
    stopping = 'SIGTERM';
    for (const worker of running) worker.process.kill('SIGTERM');
    throw error;
  }
  serving = true;
  log.info(`${name} ready: ${workers.count} processes on the same ports (TOKEN_WORKERS)`);
}

const PREPARED = 'keymint:worker-prepared';
const DRAIN = 'keymint:worker-drain';
const LISTEN = 'keymint:worker-listen';
const READY = 'keymint:worker-ready';

function sendIfConnected(worker: Worker, message: { type: string }): void {
  if (worker.isConnected()) worker.send(message);
}

/** A worker tells the primary it is prepared, and listens when the primary says (every worker prepared). */
export function workerListenTurn(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== LISTEN) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send!({ type: PREPARED });
  });
}

/**
 * Stopping: a worker drains its connections when the primary says (after SHUTDOWN_DELAY, runWorkerProcesses), or on
 * its own 2 s after SHUTDOWN_DELAY if the primary does not say.
 */
export function workerDrainTurn(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
      process.off('disconnect', done);
      resolve();
    };
    const onMessage = (message: { type?: string }) => {
      if (message?.type === DRAIN) done();
    };
    process.on('message', onMessage);
    process.once('disconnect', done);
    const timer = setTimeout(done, 2000);
  });
}

/** A worker tells the primary it is serving (its ports listen, its consumers run). */
export function announceWorkerReady(): void {
  if (isServiceWorker()) process.send?.({ type: READY });
}
