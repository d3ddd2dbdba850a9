import { Counter } from 'prom-client';

/** One label set of a HotCounter: `inc()` adds to a plain number, which /metrics reads. */
export class CountedSeries {
  value = 0;

  constructor(readonly labels: Record<string, string>) {}

  inc(): void {
    this.value += 1;
  }
}

/**
 * A Prometheus counter for the token path. prom-client's `inc(labels)` hashes its label object on every call
 * (about 0.7 µs measured, and `counter.labels(…)` does the same on each inc); a series of a HotCounter is a
 * plain number that `inc()` adds to, and prom-client reads the numbers only when /metrics is scraped.
 *
 * Its labels take values from fixed lists only (docs/operations.md, "Metrics": never an id, a name or a path),
 * and every combination is exposed from the start at 0, so a dashboard's rate() has a series before the
 * first increment.
 */
export class HotCounter<L extends string> {
  private readonly series = new Map<string, CountedSeries>();

  constructor(config: { name: string; help: string; labels: { readonly [K in L]: readonly string[] } }) {
    const labelNames = Object.keys(config.labels) as L[];
    for (const labels of combinations(config.labels, labelNames)) {
      this.series.set(seriesKey(labelNames.map((name) => labels[name])), new CountedSeries(labels));
    }
    const series = this.series;
    new Counter<string>({
      name: config.name,
      help: config.help,
      labelNames,
      collect() {
        this.reset();
        for (const { labels, value } of series.values()) this.inc(labels, value);
      },
    });
    this.labelNames = labelNames;
  }

  private readonly labelNames: L[];

  /** The series of these label values; bind it once (a field) where a path takes it every time. */
  labels(labels: { readonly [K in L]: string }): CountedSeries {
    const found = this.series.get(seriesKey(this.labelNames.map((name) => labels[name])));
    if (!found) throw new Error(`a label value outside the counter's lists: ${JSON.stringify(labels)}`);
    return found;
  }
}

function seriesKey(values: string[]): string {
  return values.join('\u0000');
}

function combinations<L extends string>(values: { readonly [K in L]: readonly string[] }, names: L[]): Array<Record<L, string>> {
  let result: Array<Record<string, string>> = [{}];
  for (const name of names) result = result.flatMap((partial) => values[name].map((value) => ({ ...partial, [name]: value })));
  return result as Array<Record<L, string>>;
}

/** Where a 429 was answered: the token service's three OAuth 2.0 endpoints, or the registry's and analytics' REST APIs. */
export const RATE_LIMITED_ENDPOINTS = ['token', 'revoke', 'introspect', 'rest_api'] as const;
/** Which failure limit refused: a consumer key's (client authentication) or a user's (password sign-ins). */
export const RATE_LIMITERS = ['client', 'user'] as const;

/** Requests refused with 429 by a failed-sign-in limit (docs/security.md), counted where the 429 is decided. */
export const rateLimited = new HotCounter({
  name: 'keymint_rate_limited_total',
  help: 'Requests answered 429 because of too many failed authentications, by endpoint and by the limit that refused (client: a consumer key; user: a user name)',
  labels: { endpoint: RATE_LIMITED_ENDPOINTS, limiter: RATE_LIMITERS },
});

export function countRateLimited(endpoint: (typeof RATE_LIMITED_ENDPOINTS)[number], limiter: (typeof RATE_LIMITERS)[number]): void {
  rateLimited.labels({ endpoint, limiter }).inc();
}
