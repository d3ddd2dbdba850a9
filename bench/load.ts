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

/**
 * The same load spread over several servers (token-service replicas): the connections are dealt out
 * round robin, as a client's connection pool does over a list of addresses, and all run at once.
 * req/s and answers are summed, p50 is the slowest server's and p99 the worst; machine CPU is read
 * once around the whole run.
 */
export async function runSpreadLoad(targets: readonly LoadTarget[], settings: LoadSettings): Promise<LoadSummary> {
  if (targets.length === 1) return runLoad(targets[0], settings);
  const cpuBefore = readMachineCpu();
  const shares = targets.map((_, index) => Math.floor(settings.connections / targets.length) + (index < settings.connections % targets.length ? 1 : 0));
  const parts = await Promise.all(targets.map((target, index) => runLoad(target, { ...settings, connections: Math.max(1, shares[index]) })));
  const cpuAfter = readMachineCpu();
  const statusCounts: Record<string, number> = {};
  for (const part of parts) for (const [code, count] of Object.entries(part.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + count;
  const answered = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  return {
    requestsPerSecond: parts.reduce((sum, part) => sum + part.requestsPerSecond, 0),
    p50Ms: Math.max(...parts.map((part) => part.p50Ms)),
    p99Ms: Math.max(...parts.map((part) => part.p99Ms)),
    ok: parts.reduce((sum, part) => sum + part.ok, 0),
    non2xx: parts.reduce((sum, part) => sum + part.non2xx, 0),
    errors: parts.reduce((sum, part) => sum + part.errors, 0),
    lastResponseAt: Math.max(...parts.map((part) => part.lastResponseAt)),
    statusCounts,
    machineCpuUsPerAnswer: cpuPerAnswerUs(cpuBefore, cpuAfter, answered),
  };
}
