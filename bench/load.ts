import autocannon from 'autocannon';
import { cpuPerAnswerUs, readMachineCpu } from './machine-cpu';
import { LoadSummary } from './report';

/** One HTTP request shape that autocannon repeats. */
export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A body made anew for each request (a private_key_jwt assertion is single-use); its cost is the load generator's. */
  freshBody?: () => string;
  /** Headers made anew for each request, added to `headers` (a DPoP proof is single-use); the load generator's cost too. */
  freshHeaders?: () => Record<string, string>;
}

/** What one request sends: the target's fixed parts, with what is made anew for each request. */
export function requestOf(target: LoadTarget): { headers: Record<string, string>; body: string } {
  return { headers: { ...target.headers, ...target.freshHeaders?.() }, body: target.freshBody?.() ?? target.body };
}

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
}

/**
 * The autocannon client fields the drain below uses. Not in @types/autocannon: they are
 * httpClient.js internals (autocannon 9), pinned by the dev dependency.
 */
interface DrainableClient {
  reqsMade: number;
  responseMax: number;
  destroyed: boolean;
}

/** How long past the planned end a run may take to drain before autocannon's own timer cuts it. */
const DRAIN_BACKSTOP_SECONDS = 15;

/**
 * Runs autocannon in this process (one load generator, as in the reference figures).
 * At the end each connection finishes its request in flight instead of dropping it: autocannon's
 * own stop destroys sockets with up to one request per connection unanswered, which the server
 * still completes (tokens minted, counted by analytics) but nobody counts on the client side.
 */
export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadSummary> {
  const clients: DrainableClient[] = [];
  let lastResponseAt = 0;
  const startedAt = Date.now();
  const cpuBefore = readMachineCpu();
  const drainTimer = setTimeout(() => {
    // A client whose made-requests count reaches responseMax closes after its current answer.
    for (const client of clients) if (!client.destroyed) client.responseMax = Math.max(1, client.reqsMade);
  }, settings.durationSeconds * 1000);
  let result: autocannon.Result;
  try {
    result = await autocannon({
      url: target.url,
      method: 'POST',
      headers: target.headers,
      body: target.body,
      ...(target.freshBody || target.freshHeaders ? { requests: [{ setupRequest: (request: object) => ({ ...request, ...requestOf(target) }) }] } : {}),
      connections: settings.connections,
      duration: settings.durationSeconds + DRAIN_BACKSTOP_SECONDS,
      // Checks every 100 ms whether all connections are drained, instead of every second.
      sampleInt: 100,
      // A slow answer is data, not a reason to drop the connection; 10 s is autocannon's default too.
      timeout: 10,
      setupClient: (client) => {
        clients.push(client as unknown as DrainableClient);
        client.on('response', () => {
          lastResponseAt = Date.now();
        });
      },
    } as autocannon.Options & { sampleInt: number });
  } finally {
    clearTimeout(drainTimer);
  }
  const cpuAfter = readMachineCpu();
  const statusCounts: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if (stats?.count) statusCounts[code] = stats.count;
  }
  const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const elapsedSeconds = ((lastResponseAt || Date.now()) - startedAt) / 1000;
  return {
    // Answers over the time until the last one: the drain tail counts, the idle wait for autocannon's tick does not.
    requestsPerSecond: elapsedSeconds > 0 ? answered / elapsedSeconds : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: statusCounts['200'] ?? 0,
    non2xx: result.non2xx,
    errors: result.errors,
    lastResponseAt,
    statusCounts,
    machineCpuUsPerAnswer: cpuPerAnswerUs(cpuBefore, cpuAfter, answered),
  };
}
