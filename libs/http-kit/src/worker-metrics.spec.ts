import { Counter, Gauge, Registry } from 'prom-client';
import { METRICS_COLLECT, METRICS_REPORT, MetricsSource, primaryRegistry, WorkerMetrics } from './worker-metrics';

const TIMEOUT_MS = 200;

/** A worker as the primary sees it: its own registry, answering each request at once unless it is stopped. */
class FakeWorker implements MetricsSource {
  readonly registry = new Registry();
  readonly tokens = new Counter({ name: 'tokens_total', help: 'tokens', registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'in_flight', help: 'requests in flight', registers: [this.registry] });
  readonly requests: number[] = [];
  stopped = false;
  private waiting: number[] = [];

  constructor(
    private readonly metrics: () => WorkerMetrics,
    readonly process: { pid: number },
  ) {
    this.registry.setDefaultLabels({ service: 'token-service' });
  }

  isConnected(): boolean {
    return true;
  }

  send(message: { type: typeof METRICS_COLLECT; round: number }): void {
    this.requests.push(message.round);
    if (this.stopped) this.waiting.push(message.round);
    else this.answer(message.round);
  }

  /** SIGCONT: it answers what it was asked meanwhile. */
  resume(): void {
    this.stopped = false;
    for (const round of this.waiting.splice(0)) this.answer(round);
  }

  private answer(round: number): void {
    // A copy, as the IPC channel delivers it (prom-client's objects are its counters' live values).
    void this.registry.getMetricsAsJSON().then((metrics) => this.metrics().receive(this, { type: METRICS_REPORT, round, metrics: JSON.parse(JSON.stringify(metrics)) }));
  }
}

function setUp(workers: number) {
  const log = { warn: jest.fn(), info: jest.fn() };
  const metrics = new WorkerMetrics({ service: 'token-service', workers, own: new Registry(), log, timeoutMs: TIMEOUT_MS });
  const fakes = Array.from({ length: workers }, (_, offset) => new FakeWorker(() => metrics, { pid: 1000 + offset }));
  fakes.forEach((fake, offset) => metrics.add(offset + 1, fake));
  const scrape = async () => {
    const started = Date.now();
    const text = await metrics.collect();
    return { text, ms: Date.now() - started, value: (series: string) => valueOf(text, series) };
  };
  return { metrics, fakes, log, scrape };
}

function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('WorkerMetrics: the primary sums its workers', () => {
  it('sums every worker that answers, and says so per worker', async () => {
    const { fakes, scrape } = setUp(2);
    fakes[0].tokens.inc(3);
    fakes[1].tokens.inc(4);
    const { value, ms } = await scrape();
    expect(value('tokens_total{service="token-service"}')).toBe(7);
    expect(value('keymint_worker_reporting{service="token-service",worker="1"}')).toBe(1);
    expect(value('keymint_worker_reporting{service="token-service",worker="2"}')).toBe(1);
    expect(ms).toBeLessThan(TIMEOUT_MS);
  });

  it('answers within its bound when a worker does not, with its last counters and without its gauges; it is asked once however many scrapes it misses', async () => {
    const { fakes, log, scrape } = setUp(3);
    fakes.forEach((fake) => {
      fake.tokens.inc(10);
      fake.inFlight.set(2);
    });
    expect((await scrape()).value('tokens_total{service="token-service"}')).toBe(30);
    fakes[1].stopped = true;
    fakes[1].tokens.inc(5);
    for (let scrapeNumber = 0; scrapeNumber < 4; scrapeNumber += 1) {
      fakes[0].tokens.inc(1);
      const { value, ms } = await scrape();
      expect(ms).toBeLessThan(TIMEOUT_MS + 100);
      expect(value('tokens_total{service="token-service"}')).toBe(31 + scrapeNumber);
      expect(value('in_flight{service="token-service"}')).toBe(4);
      expect(value('keymint_worker_reporting{service="token-service",worker="2"}')).toBe(0);
    }
    // One request waits in the stopped worker's channel, not one per scrape; one line in the log.
    expect(fakes[1].requests).toHaveLength(2);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0][0]).toContain('token-service worker 2 (pid 1001) did not send its metrics within 200 ms');

    fakes[1].resume();
    await new Promise((resolve) => setImmediate(resolve));
    const { value } = await scrape();
    expect(value('tokens_total{service="token-service"}')).toBe(39);
    expect(value('keymint_worker_reporting{service="token-service",worker="2"}')).toBe(1);
    expect(log.info).toHaveBeenCalledWith('token-service worker 2 (pid 1001) sends its metrics again');
  });

  it('shares one round between concurrent scrapes', async () => {
    const { fakes, scrape } = setUp(2);
    const texts = await Promise.all([scrape(), scrape(), scrape()]);
    expect(new Set(texts.map(({ text }) => text)).size).toBe(1);
    expect(fakes.map((fake) => fake.requests.length)).toEqual([1, 1]);
  });

  it('keeps the counters of workers that exited: the sum never goes down when a worker is replaced', async () => {
    const { metrics, fakes, scrape } = setUp(2);
    fakes[0].tokens.inc(10);
    fakes[1].tokens.inc(20);
    let last = (await scrape()).value('tokens_total{service="token-service"}')!;
    expect(last).toBe(30);
    // Worker 2 dies, is replaced, and the replacement dies and is replaced too: each starts from 0.
    for (const pid of [2001, 2002, 2003]) {
      metrics.remove(fakes[1]);
      const between = await scrape();
      expect(between.value('keymint_worker_reporting{service="token-service",worker="2"}')).toBe(0);
      expect(between.value('tokens_total{service="token-service"}')).toBeGreaterThanOrEqual(last);
      fakes[1] = new FakeWorker(() => metrics, { pid });
      fakes[1].tokens.inc(1);
      metrics.add(2, fakes[1]);
      const after = (await scrape()).value('tokens_total{service="token-service"}')!;
      expect(after).toBe(last + 1);
      last = after;
    }
    // Gauges are the live workers' only.
    fakes[0].inFlight.set(1);
    expect((await scrape()).value('in_flight{service="token-service"}')).toBe(1);
  });

  it('never answers a sum below the one before, however the order of the sum changes when a worker exits', async () => {
    const { metrics, fakes, scrape } = setUp(3);
    // Summed in the order 0.7, 0.1, 0.2 these make 1; once worker 3's last counters are kept apart and summed first,
    // 0.2, 0.7, 0.1 make 0.9999999999999999 in floating point: a decrease Prometheus would read as a counter reset.
    fakes[0].tokens.inc(0.7);
    fakes[1].tokens.inc(0.1);
    fakes[2].tokens.inc(0.2);
    expect((await scrape()).value('tokens_total{service="token-service"}')).toBe(1);
    metrics.remove(fakes[2]);
    expect((await scrape()).value('tokens_total{service="token-service"}')).toBe(1);
  });

  it('adds the primary\'s own process metrics, labelled process="primary"', async () => {
    const log = { warn: jest.fn(), info: jest.fn() };
    const metrics = new WorkerMetrics({ service: 'token-service', workers: 1, own: primaryRegistry('token-service'), log, timeoutMs: TIMEOUT_MS });
    const worker = new FakeWorker(() => metrics, { pid: 3000 });
    metrics.add(1, worker);
    const text = await metrics.collect();
    expect(text).toMatch(/^process_resident_memory_bytes\{service="token-service",process="primary"\} \d+/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="token-service",process="primary"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service="token-service",process="primary"\} /m);
    expect(valueOf(text, 'tokens_total{service="token-service"}')).toBe(0);
  });
});
