import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, MetricObjectWithValues, MetricValue, Registry, register } from 'prom-client';

/** A registry's metrics as prom-client passes them between processes (`getMetricsAsJSON`). */
export type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/** The primary asks a worker for its registry; the worker reports it, or why it could not. */
export const METRICS_COLLECT = 'keymint:metrics-collect';
export const METRICS_REPORT = 'keymint:metrics-report';
/** A worker that serves a scrape asks the primary for the whole service's text, and gets it (or an error). */
export const METRICS_REQUEST = 'keymint:metrics-request';
const METRICS_ANSWER = 'keymint:metrics-answer';

export interface MetricsReport {
  type: typeof METRICS_REPORT;
  round: number;
  metrics?: MetricsJson;
  error?: string;
}

/**
 * How long the primary waits for its workers' registries. A scrape then answers with what the workers that
 * answered sent: a stopped or wedged worker costs a scrape this much, never the scrape itself.
 */
export const WORKER_METRICS_TIMEOUT_MS = 1000;
/** A scrape waits this long for the primary's sum, which itself waits WORKER_METRICS_TIMEOUT_MS at most. */
const SCRAPE_TIMEOUT_MS = WORKER_METRICS_TIMEOUT_MS + 2000;

/** What the primary needs of a worker (a cluster Worker) to ask it for its metrics. */
export interface MetricsSource {
  readonly process: { readonly pid?: number };
  isConnected(): boolean;
  send(message: { type: typeof METRICS_COLLECT; round: number }): unknown;
}

interface Slot {
  index: number;
  source: MetricsSource;
  /** The round it was asked in and has not answered yet: until it answers it is asked nothing more. */
  asked?: number;
  /** The last round it answered, and the last round its answer carried its metrics. */
  answeredIn?: number;
  reportedIn?: number;
  latest: MetricsJson;
  /** Its latest counters and histograms: they stay in the sum when it misses a scrape, and when it exits. */
  monotonic: MetricsJson;
  /** It missed a round, and has not answered since (said once in the log). */
  missing: boolean;
}

/**
 * The primary's sum of its workers' metrics, for /metrics (docs/operations.md, "Serving from several cores").
 *
 * Each scrape is one round: the primary asks every worker for its registry and waits WORKER_METRICS_TIMEOUT_MS at
 * most; prom-client's `AggregatorRegistry.aggregate` sums the answers, each metric as it declares (counters and
 * histograms summed, the gauges that every worker reads from one source at their largest). Concurrent scrapes
 * share the round in flight, and a worker that has not answered is not asked again until it does: one request per
 * worker is ever waiting, however many scrapes a hung worker misses.
 *
 * Counters and histograms only ever grow, and Prometheus reads a sum that goes down as a counter reset. So the sum
 * keeps each worker's latest counters when it misses a round (its gauges are left out), and the last counters of
 * the workers that exited, summed with the live ones' (what a worker counted after its last report is lost with
 * it). `keymint_worker_reporting{worker}` says which workers' metrics the answer has. The primary's own process
 * metrics (CPU, memory, event loop) are in it too, labelled `process="primary"`.
 */
export class WorkerMetrics {
  private readonly slots = new Map<MetricsSource, Slot>();
  /** The counters and histograms of workers that exited, folded into one set at the next round. */
  private retired: MetricsJson[] = [];
  private rounds = 0;
  /** Per counter and histogram series, the value the last answer gave (neverBelowLastAnswer). */
  private readonly lastAnswered = new Map<string, number>();
  private inFlight?: Promise<string>;
  private onAnswer?: () => void;

  constructor(
    private readonly settings: {
      service: string;
      workers: number;
      /** The primary's own registry (primaryRegistry). */
      own: Registry;
      log: { warn(message: string): void; info(message: string): void };
      timeoutMs?: number;
    },
  ) {}

  /** A worker just started, in slot `index` (1 to workers). */
  add(index: number, source: MetricsSource): void {
    this.slots.set(source, { index, source, latest: [], monotonic: [], missing: false });
  }

  /** A worker exited: its last counters stay in the sum. */
  remove(source: MetricsSource): void {
    const slot = this.slots.get(source);
    if (!slot) return;
    this.slots.delete(source);
    if (slot.monotonic.length > 0) this.retired.push(slot.monotonic);
  }

  /** A worker's answer, in its round or late: the newest report it sent is the one the sum keeps. */
  receive(source: MetricsSource, report: MetricsReport): void {
    const slot = this.slots.get(source);
    if (!slot) return;
    slot.asked = undefined;
    slot.answeredIn = report.round;
    if (report.metrics) {
      slot.latest = report.metrics;
      slot.monotonic = report.metrics.filter(isMonotonic);
      slot.reportedIn = report.round;
      if (slot.missing) {
        slot.missing = false;
        this.settings.log.info(`${this.settings.service} worker ${slot.index} (pid ${slot.source.process.pid}) sends its metrics again`);
      }
    }
    this.onAnswer?.();
  }

  /** Prometheus' text for the whole service, within WORKER_METRICS_TIMEOUT_MS (and the time to sum). */
  collect(): Promise<string> {
    this.inFlight ??= this.round().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async round(): Promise<string> {
    const round = (this.rounds += 1);
    const asked: Slot[] = [];
    for (const slot of this.slots.values()) {
      if (slot.asked !== undefined || !slot.source.isConnected()) continue;
      slot.asked = round;
      slot.source.send({ type: METRICS_COLLECT, round });
      asked.push(slot);
    }
    await new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.onAnswer = undefined;
        resolve();
      };
      const timer = setTimeout(end, this.settings.timeoutMs ?? WORKER_METRICS_TIMEOUT_MS);
      this.onAnswer = () => {
        if (asked.every((slot) => slot.answeredIn === round || !this.slots.has(slot.source))) end();
      };
      this.onAnswer();
    });

    if (this.retired.length > 1) {
      const folding = this.retired.splice(0);
      this.retired.unshift(await AggregatorRegistry.aggregate(folding).getMetricsAsJSON());
    }
    const reports: MetricsJson[] = [await this.settings.own.getMetricsAsJSON(), ...this.retired];
    const reporting: Array<MetricValue<string>> = [];
    for (let index = 1; index <= this.settings.workers; index += 1) {
      const slot = [...this.slots.values()].find((each) => each.index === index);
      const fresh = slot?.reportedIn === round;
      if (slot) reports.push(fresh ? slot.latest : slot.monotonic);
      reporting.push({ labels: { service: this.settings.service, worker: String(index) }, value: fresh ? 1 : 0 });
      if (slot && !fresh && slot.asked !== undefined && !slot.missing) {
        slot.missing = true;
        this.settings.log.warn(
          `${this.settings.service} worker ${index} (pid ${slot.source.process.pid}) did not send its metrics within ` +
            `${this.settings.timeoutMs ?? WORKER_METRICS_TIMEOUT_MS} ms: /metrics has its counters as it last sent them and none of its gauges, until it does (keymint_worker_reporting)`,
        );
      }
    }
    reports.push([
      {
        name: 'keymint_worker_reporting',
        help: 'Worker processes of the service (TOKEN_WORKERS) whose metrics this answer has: 1, or 0 when it did not answer in time or is being replaced (its counters are then its last reported, its gauges missing)',
        // prom-client's types call a metric's type a numeric enum; its objects carry the name, as here.
        type: 'gauge' as unknown as MetricsJson[number]['type'],
        aggregator: 'sum',
        values: reporting,
      } as MetricsJson[number],
    ]);
    const summed = await AggregatorRegistry.aggregate(reports).getMetricsAsJSON();
    for (const metric of summed) if (isMonotonic(metric)) for (const value of metric.values) this.neverBelowLastAnswer(metric.name, value);
    return AggregatorRegistry.aggregate([summed]).metrics();
  }

  /**
   * A counter's or histogram's sum is never answered lower than in the answer before. Each part only grows, but
   * the parts are summed in floating point, and a worker that exits moves its last counters to another place in the
   * sum: (0.7 + 0.1) + 0.2 is 1, (0.2 + 0.7) + 0.1 is 0.9999999999999999, and Prometheus reads any decrease as a
   * counter reset (a histogram's `_sum` of seconds is made of such fractions).
   */
  private neverBelowLastAnswer(name: string, value: MetricValue<string>): void {
    const series = `${(value as { metricName?: string }).metricName ?? name}${JSON.stringify(Object.entries(value.labels).sort())}`;
    const last = this.lastAnswered.get(series);
    if (last !== undefined && value.value < last) value.value = last;
    else this.lastAnswered.set(series, value.value);
  }
}

/** Counters and histograms summed across processes: what only grows. */
function isMonotonic(metric: MetricsJson[number]): boolean {
  const type = String(metric.type);
  return (type === 'counter' || type === 'histogram') && (metric.aggregator ?? 'sum') === 'sum';
}

/** The primary's own process metrics (CPU, memory, event loop), labelled apart from the workers' sums. */
export function primaryRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, process: 'primary' });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** True in a worker process of a service served by several (runWorkerProcesses). */
export function isServiceWorker(): boolean {
  return cluster.isWorker && process.env.KEYMINT_WORKER_INDEX !== undefined;
}

// A worker reports its registry when the primary asks (WorkerMetrics).
if (isServiceWorker()) {
  process.on('message', (message: { type?: string; round?: number }) => {
    if (message?.type !== METRICS_COLLECT) return;
    const report = (fields: Partial<MetricsReport>) => {
      if (process.connected) process.send!({ type: METRICS_REPORT, round: message.round, ...fields });
    };
    register.getMetricsAsJSON().then(
      (metrics) => report({ metrics }),
      (error: Error) => report({ error: error.message }),
    );
  });
}

/** In the primary: answers a worker's request for the whole service's text (a scrape it serves). */
export function answerMetricsRequest(metrics: WorkerMetrics, worker: { isConnected(): boolean; send(message: unknown): unknown }, message: { id?: number }): void {
  const answer = (fields: { body?: string; error?: string }) => {
    if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, id: message.id, ...fields });
  };
  metrics.collect().then(
    (body) => answer({ body }),
    (error: Error) => answer({ error: error.message }),
  );
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
      reject(new Error("the service's metrics could not be summed: no answer from the primary process"));
    }, SCRAPE_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, id });
  });
}
