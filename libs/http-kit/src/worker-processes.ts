import cluster, { Worker } from 'node:cluster';
import { ShutdownSignal } from '@nestjs/common';
import { AggregatorRegistry, register } from 'prom-client';
import type { ServiceName } from '@keymint/config';
import type { ServiceLoggers } from '@keymint/telemetry';

/**
 * A service served by several processes on the same ports (TOKEN_WORKERS, docs/operations.md "Serving from several
 * cores"). This process, the primary, serves nothing itself: it starts the first worker alone (it applies the
 * migrations, creates the streams and the key files, as the first replica after an upgrade must), then the others
 * together, lets them all listen once all are prepared, passes the signals on, replaces a worker that dies, and
 * sums their metrics.
 *
 * Each worker is a whole service, as a replica on another machine would be, and listens on the same ports: the
 * primary holds the listening sockets and deals the connections out in turn (SCHED_RR); a connection's requests
 * then go to its worker directly. What replicas share, they share the same way: the store (PostgreSQL), the bus, DATA_DIR.
 */
export async function runWorkerProcesses(name: ServiceName, workers: number, loggers: ServiceLoggers, shutdownDelaySeconds: number): Promise<void> {
  const log = loggers.app;
  // The primary accepts each connection and hands it to the workers in turn (round robin): the connections are
  // dealt evenly (letting every worker accept on the shared socket, SCHED_NONE, gave the busier of two workers 61%
  // and 74% of a benchmark's requests, against 50-66% this way: docs/performance.md). Only accepting costs the
  // primary: the requests of a connection go to its worker directly.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const aggregator = new AggregatorRegistry();
  let stopping: NodeJS.Signals | undefined;
  let serving = false;
  const running = new Set<Worker>();

  /** A worker, once it is prepared (its app initialized, not yet listening). */
  const fork = (index: number): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ KEYMINT_WORKER_INDEX: String(index) });
      running.add(worker);
      let prepared = false;
      // A message sent as the worker goes away fails here; without a listener it would end the primary, and every worker with it.
      worker.on('error', (error: Error) => log.warn(`${name} worker ${index}: ${error.message}`));
      worker.on('message', (message: { type?: string; id?: number }) => {
        if (message?.type === PREPARED) {
          prepared = true;
          resolve(worker);
        } else if (message?.type === METRICS_REQUEST) {
          // Every worker's registry: counters and histograms summed, and the maximum for the gauges that every
          // worker reads from one source (a consumer's lag, the outbox), as each metric declares.
          aggregator.clusterMetrics().then(
            (body: string) => sendIfConnected(worker, { type: METRICS_ANSWER, id: message.id, body }),
            (error: Error) => sendIfConnected(worker, { type: METRICS_ANSWER, id: message.id, error: error.message }),
          );
        }
      });
      worker.on('exit', (code, signal) => {
        running.delete(worker);
        const how = signal ?? `exit code ${code}`;
        if (!prepared) reject(new Error(`${name} worker ${index} stopped before it was ready (${how})`));
        else if (!stopping && serving) {
          // A worker that dies is replaced; the others serve meanwhile (its open connections are lost, as a replica's).
          log.error(`${name} worker ${index} stopped (${how}); starting another`);
          fork(index)
            .then((replacement) => listenAll([replacement]))
            .catch((error: Error) => log.error(error.message));
        }
        if (stopping && running.size === 0) finish(stopping);
        else if (serving && running.size === 0) {
          // Its replacement failed too, and it was the last: the service is gone; its supervisor may start it again.
          log.fatal(`${name}: no worker left`);
          process.exit(1);
        }
      });
    });

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
    process.kill(process.pid, signal);
  };
  for (const signal of signals) process.on(signal, stop);

  try {
    // The first alone: it applies the migrations, creates the streams and the key files. Then the others together.
    const first = await fork(1);
    const others = await Promise.all(Array.from({ length: workers - 1 }, (_, offset) => fork(offset + 2)));
    if (stopping) return;
    // The ports open on every worker at once: a service that answers its probes is the whole service.
    await listenAll([first, ...others]);
  } catch (error) {
    stopping = 'SIGTERM';
    for (const worker of running) worker.process.kill('SIGTERM');
    throw error;
  }
  serving = true;
  log.info(`${name} ready: ${workers} processes on the same ports (TOKEN_WORKERS)`);
}

const PREPARED = 'keymint:worker-prepared';
const DRAIN = 'keymint:worker-drain';
const LISTEN = 'keymint:worker-listen';
const READY = 'keymint:worker-ready';
const METRICS_REQUEST = 'keymint:metrics-request';
const METRICS_ANSWER = 'keymint:metrics-answer';
/** A scrape waits this long for the primary's sum (which itself waits for every worker). */
const METRICS_TIMEOUT_MS = 6000;

function sendIfConnected(worker: Worker, message: { type: string; id?: number; body?: string; error?: string }): void {
  if (worker.isConnected()) worker.send(message);
}

/** True in a worker process of a service served by several (runWorkerProcesses). */
export function isServiceWorker(): boolean {
  return cluster.isWorker && process.env.KEYMINT_WORKER_INDEX !== undefined;
}

// A worker answers the primary's requests for its registry (prom-client listens for them once an AggregatorRegistry exists).
if (isServiceWorker()) new AggregatorRegistry();

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

let nextMetricsRequest = 0;

/** Prometheus' text for the whole service: this process's registry, or, in a worker, every worker's summed by the primary. */
export function serviceMetrics(): Promise<string> {
  if (!isServiceWorker()) return register.metrics();
  const id = (nextMetricsRequest += 1);
  return new Promise<string>((resolve, reject) => {
    const onMessage = (message: { type?: string; id?: number; body?: string; error?: string }) => {
      if (message?.type !== METRICS_ANSWER || message.id !== id) return;
      done();
      if (message.error !== undefined || message.body === undefined) reject(new Error(`the service's metrics could not be summed: ${message.error}`));
      else resolve(message.body);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('the service\'s metrics could not be summed: no answer from the primary process'));
    }, METRICS_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, id });
  });
}
