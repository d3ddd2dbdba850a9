import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection, StreamInfo } from 'nats';
import { ServiceName } from '@keymint/config';
import { natsConnectionOptions } from '@keymint/messaging';
import { NatsServerProcess } from '../scripts/lib/nats-server';
import { freePort, waitFor } from '../scripts/lib/ports';
import { ScaleOutCluster, startScaleOutCluster } from '../scripts/lib/scale-out';
import { basicAuth, http } from './support/http';
import { clientCredentialsApplication } from './support/registry';
import { describeFailure, ReplicaClient } from './support/replicas';
import { queryStore } from './support/store';
import { tokenStreamMessages } from './support/token-stream';

/**
 * The scale-out layout of docs/operations.md under faults, on one machine: a three-node NATS cluster
 * (authenticated routes, streams at replicas 3), PostgreSQL, and two processes of every service. Clients
 * spread token requests over both token replicas with the documented retry policy (support/replicas.ts) while,
 * in turn, the NATS node leading TOKENS and then another are killed -9, a replica of each service is killed -9,
 * PostgreSQL crashes, and every replica is restarted one at a time. Then, as in faults.e2e-spec.ts: every token
 * a client got a 200 for is stored and introspects active, analytics (asked through either replica) counts each
 * stored token exactly once, and the stream holds each token's event once.
 */
const TOKEN_CLIENTS = 4;
// What a client sees while PostgreSQL is down: an answer within this bound (RPC_TIMEOUT_MS is 3 s by default).
const OUTAGE_ANSWER_BOUND_MS = 3000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('scale-out under faults: three NATS nodes, PostgreSQL, two replicas of each service', () => {
  let layout: ScaleOutCluster | null = null;
  let reader: NatsConnection;
  let authorization = '';
  const tokens: string[] = [];
  /** Failures a client saw after the retry policy, in order. */
  const failures: Array<{ phase: string; failure: string }> = [];
  /** Why a first attempt failed and was sent to the next replica (the retry policy at work), by phase. */
  const retries: Record<string, Record<string, number>> = {};
  /** The failures since `mark` (failures.length when a test began), by phase. */
  const failuresSince = (mark: number) =>
    failures.slice(mark).reduce<Record<string, string[]>>((byPhase, { phase, failure }) => ({ ...byPhase, [phase]: [...(byPhase[phase] ?? []), failure] }), {});
  /** Every answer while PostgreSQL was down: status (0: no answer) and milliseconds. */
  const outageAnswers: Array<{ status: number; ms: number; body: string }> = [];
  let phase = 'steady';
  let running = true;
  let load: Promise<unknown> = Promise.resolve();
  const startedAt = new Date(Date.now() - 60_000).toISOString();

  const urlsOf = (name: ServiceName) => layout!.replicas[name].map((replica) => replica.baseUrl);

  beforeAll(async () => {
    layout = await startScaleOutCluster({ env: { JWT_ALG: 'ES256' } });
    if (!layout) return;
    const { cluster } = layout;
    reader = await connect({ ...natsConnectionOptions(cluster.natsAccess('reader'), 'scale-out-test'), waitOnFirstConnect: false });
    authorization = await clientCredentialsApplication(cluster, { name: 'scale-out', tokenType: 'JWT' });
    const tokenClient = new ReplicaClient(urlsOf('token-service'));
    const client = async () => {
      while (running) {
        // A request belongs to the phase it was sent in.
        const sentIn = phase;
        const answer = await tokenClient.request('/token', {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        if (answer.retried) {
          const reason = answer.retried.replace(/^(HTTP \d+).*/, '$1');
          retries[sentIn] = { ...retries[sentIn], [reason]: (retries[sentIn]?.[reason] ?? 0) + 1 };
        }
        if (sentIn === 'postgres down') outageAnswers.push({ status: answer.response?.status ?? 0, ms: answer.ms, body: answer.response?.body ?? answer.error! });
        if (answer.response?.status === 200) tokens.push(answer.response.json<{ access_token: string }>().access_token);
        else {
          failures.push({ phase: sentIn, failure: describeFailure(answer) });
          await pause(50);
        }
        await pause(10);
      }
    };
    load = Promise.all(Array.from({ length: TOKEN_CLIENTS }, client));
    await pause(1500);
  }, 180_000);

  afterAll(async () => {
    running = false;
    await load;
    await reader?.close();
    await layout?.stop();
  });

  const skipped = () => {
    if (layout) return false;
    console.warn('No PostgreSQL (no initdb/pg_ctl, nothing on PG_URL or 127.0.0.1:5432): skipping the scale-out fault runs');
    return true;
  };

  async function tokensStream(): Promise<StreamInfo> {
    return (await reader.jetstreamManager({ timeout: 2000 })).streams.info('TOKENS');
  }

  /** The node leading TOKENS, once every replica of the stream is current (caught up) again. */
  async function settledLeader(): Promise<NatsServerProcess> {
    let leader: string | undefined;
    await waitFor(
      async () => {
        try {
          const { cluster } = await tokensStream();
          leader = cluster?.leader;
          return Boolean(leader) && (cluster?.replicas ?? []).length === 2 && cluster!.replicas!.every((replica) => replica.current && !replica.offline);
        } catch {
          return false;
        }
      },
      30_000,
      'every replica of TOKENS current',
      250,
    );
    return layout!.cluster.natsNodes.find((node) => node.options.serverName === leader)!;
  }

  it('runs the streams at replicas 3 on the cluster, and its routes admit no stranger', async () => {
    if (skipped()) return;
    expect((await tokensStream()).config.num_replicas).toBe(3);
    expect((await (await reader.jetstreamManager()).streams.info('REGISTRY')).config.num_replicas).toBe(3);

    // A nats-server that tries to join the cluster as a route, without the route password and with a wrong
    // one: the nodes refuse it, and a client of its own sees nothing of the cluster's traffic.
    const dir = mkdtempSync(join(tmpdir(), 'keymint-route-stranger-'));
    const node = layout!.cluster.natsNodes[0];
    const configFile = join(dir, 'stranger.conf');
    writeFileSync(
      configFile,
      `cluster {\n  name: keymint\n  listen: 127.0.0.1:${await freePort()}\n  routes: ["nats-route://127.0.0.1:${node.options.routePort}", "nats-route://route:guessed@127.0.0.1:${node.options.routePort}"]\n}\n`,
    );
    const stranger = new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'store'), configFile, logFile: join(dir, 'stranger.log'), serverName: 'stranger' });
    await stranger.start();
    try {
      const spy = await connect({ servers: stranger.url, reconnect: false });
      let seen = 0;
      spy.subscribe('>', { callback: () => (seen += 1) });
      const tokensBefore = tokens.length;
      await pause(4000);
      await spy.close();
      expect(tokens.length).toBeGreaterThan(tokensBefore); // the cluster was busy meanwhile
      expect(seen).toBe(0);
    } finally {
      await stranger.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('goes on issuing when the NATS node leading TOKENS is killed -9, then another, each started again', async () => {
    if (skipped()) return;
    const mark = failures.length;
    const firstLeader = await settledLeader();
    phase = `nats ${firstLeader.options.serverName} (TOKENS leader) down`;
    await firstLeader.stop('SIGKILL');
    await pause(3000);
    await firstLeader.start();
    phase = 'nats back';
    const secondLeader = await settledLeader();
    const another = secondLeader === firstLeader ? layout!.cluster.natsNodes.find((node) => node !== firstLeader)! : secondLeader;
    phase = `nats ${another.options.serverName} down`;
    await another.stop('SIGKILL');
    await pause(3000);
    await another.start();
    phase = 'nats back';
    await settledLeader();
    await pause(1000);
    phase = 'steady';
    console.log(`NATS leaders killed: ${firstLeader.options.serverName}, then ${another.options.serverName}; retries ${JSON.stringify(retries)}`);
    expect(failuresSince(mark)).toEqual({});
  }, 120_000);

  /**
   * Asks each replica of a service in turn for something only it can answer: the registry registers an
   * application whose client no token service knows yet (so the token request asks a registry over the bus), and
   * analytics answers its statistics (authenticating the admin over the bus). The statuses it got.
   */
  async function probe(name: ServiceName): Promise<number[]> {
    const { cluster } = layout!;
    const admin = { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' };
    const registry = new ReplicaClient(urlsOf('application-registry'));
    if (name === 'application-registry') {
      const statuses: number[] = [];
      for (let round = 0; round < 2; round++) {
        const created = await registry.request('/api/am/devportal/v2/applications', {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: `probe-${Date.now()}-${round}`, throttlingPolicy: 'Unlimited', tokenType: 'JWT' }),
        });
        const applicationId = created.response?.json<{ applicationId: string }>().applicationId;
        const keys = await registry.request(`/api/am/devportal/v2/applications/${applicationId}/generate-keys`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'] }),
        });
        const { consumerKey, consumerSecret } = keys.response?.json<{ consumerKey: string; consumerSecret: string }>() ?? { consumerKey: '', consumerSecret: '' };
        const token = await new ReplicaClient(urlsOf('token-service')).request('/token', {
          method: 'POST',
          headers: { Authorization: basicAuth(consumerKey, consumerSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        statuses.push(token.response?.status ?? 0);
      }
      return statuses;
    }
    if (name === 'analytics') {
      const analytics = new ReplicaClient(urlsOf('analytics'));
      const summary = () => analytics.request(`/api/analytics/v1/summary?from=${encodeURIComponent(startedAt)}`, { headers: { Authorization: cluster.adminAuthorization() } });
      return [(await summary()).response?.status ?? 0, (await summary()).response?.status ?? 0];
    }
    const tokenClient = new ReplicaClient(urlsOf('token-service'));
    const token = () =>
      tokenClient.request('/token', {
        method: 'POST',
        headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    const answers = [await token(), await token()];
    for (const answer of answers) if (answer.response?.status === 200) tokens.push(answer.response.json<{ access_token: string }>().access_token);
    return answers.map((answer) => answer.response?.status ?? 0);
  }

  it.each(['token-service', 'analytics', 'application-registry'] as ServiceName[])(
    'loses no request when one %s replica is killed -9 and started again',
    async (name) => {
      if (skipped()) return;
      const mark = failures.length;
      const replica = layout!.replicas[name][1];
      if (name === 'analytics') {
        // The admin's sign-in is checked by the registry (a scrypt hash, which a loaded two-core machine has taken over
        // RPC_TIMEOUT_MS to answer: a 503 from the live replica) and then cached for 30 s: signed in on the replica that
        // stays, so that the probe below asks about analytics' replicas, not about the registry's hashing.
        // A precondition, not what is tested: asked again until the registry has answered once (each try a 503 at worst).
        const summaryUrl = `${urlsOf('analytics')[0]}/api/analytics/v1/summary?from=${encodeURIComponent(startedAt)}`;
        await waitFor(async () => (await http(summaryUrl, { headers: { Authorization: layout!.cluster.adminAuthorization() } })).status === 200, 30_000, 'the admin signed in on the analytics replica that stays', 100);
      }
      phase = `${name} replica down`;
      await replica.stop('SIGKILL');
      await pause(1000);
      // Meanwhile the service answers through its other replica, behind the retry policy.
      expect(await probe(name)).toEqual([200, 200]);
      await pause(1000);
      replica.start();
      await replica.waitHealthy();
      phase = `${name} replica back`;
      await pause(1000);
      phase = 'steady';
      expect(failuresSince(mark)).toEqual({});
    },
    60_000,
  );

  it('answers fast 503s while PostgreSQL is down, and recovers when it is back', async () => {
    if (skipped()) return;
    const postgres = layout!.postgres;
    if (!postgres) {
      console.warn('PostgreSQL is the server of PG_URL, which this test must not crash: skipping the PostgreSQL crash');
      return;
    }
    const mark = failures.length;
    phase = 'postgres down';
    // The requests in flight when it crashes were all sent in this phase.
    await pause(500);
    await postgres.stop('immediate');
    await pause(3000);
    phase = 'postgres starting';
    await postgres.start();
    phase = 'postgres back';
    // Recovered: a full second of requests without a failure.
    await waitFor(
      async () => {
        const before = failures.length;
        await pause(1000);
        return failures.length === before;
      },
      30_000,
      'token requests to succeed again',
    );
    phase = 'steady';
    const statuses = outageAnswers.reduce<Record<number, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
    const slowest = Math.max(...outageAnswers.map(({ ms }) => ms));
    const seen = failuresSince(mark);
    console.log(`while PostgreSQL was down: answers ${JSON.stringify(statuses)}, slowest ${slowest} ms; failures ${JSON.stringify(Object.fromEntries(Object.entries(seen).map(([key, list]) => [key, list.length])))}`);
    expect(outageAnswers.length).toBeGreaterThan(10);
    // A 503 with Retry-After, or a 200 for a token whose write committed before the crash (the last check
    // below finds every 200's token stored); never a 500, never a hang.
    expect(outageAnswers.filter(({ status }) => status !== 503 && status !== 200)).toEqual([]);
    expect(slowest).toBeLessThanOrEqual(OUTAGE_ANSWER_BOUND_MS);
    for (const name of ['token-service', 'analytics', 'application-registry'] as ServiceName[]) {
      expect(layout!.replicas[name].map((replica) => replica.running)).toEqual([true, true]);
    }
    // Every failure a client saw was a 503 while the server was down or starting (pg_ctl start waits for its recovery).
    expect(Object.keys(seen).filter((key) => key !== 'postgres down' && key !== 'postgres starting')).toEqual([]);
    expect(Object.values(seen).flat().filter((failure) => !failure.startsWith('HTTP 503'))).toEqual([]);
  }, 90_000);

  it('loses no request while every replica is restarted in turn (SIGTERM, then started and healthy)', async () => {
    if (skipped()) return;
    const mark = failures.length;
    for (const name of ['application-registry', 'token-service', 'analytics'] as ServiceName[]) {
      for (const [index, replica] of layout!.replicas[name].entries()) {
        phase = `rolling restart: ${name} #${index + 1}`;
        await replica.stop('SIGTERM');
        replica.start();
        await replica.waitHealthy();
      }
    }
    await pause(1000);
    phase = 'steady';
    console.log(`rolling restart retries: ${JSON.stringify(retries)}`);
    expect(failuresSince(mark)).toEqual({});
  }, 180_000);

  it('stored every token it answered 200 for, and analytics counts each stored token once, on either replica', async () => {
    if (skipped()) return;
    running = false;
    await load;
    const { cluster } = layout!;
    const stored = new Set(
      (await queryStore(cluster, 'token', `SELECT "tokenHash" FROM token_tokens WHERE "kind" = 'access'`)).map((row) => row.tokenHash as string),
    );
    const notStored = tokens.filter((token) => !stored.has(createHash('sha256').update(token).digest('hex')));

    const minted = async (baseUrl: string) => {
      const summary = await http(`${baseUrl}/api/analytics/v1/summary?from=${encodeURIComponent(startedAt)}`, { headers: { Authorization: cluster.adminAuthorization() } });
      return summary.status === 200 ? summary.json<{ minted: Record<string, number> }>().minted.client_credentials : -1;
    };
    const [firstAnalytics, secondAnalytics] = urlsOf('analytics');
    await waitFor(async () => (await minted(firstAnalytics)) >= stored.size, 60_000, 'analytics to count every stored token', 500);
    await pause(1500);

    let inactive = 0;
    const queue = [...tokens];
    const introspection = new ReplicaClient(urlsOf('token-service'));
    const introspector = async () => {
      for (let token = queue.pop(); token !== undefined; token = queue.pop()) {
        const answer = await introspection.request('/oauth2/introspect', {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `token=${encodeURIComponent(token)}`,
        });
        if (answer.response?.json<{ active: boolean }>().active !== true) inactive += 1;
      }
    };
    await Promise.all(Array.from({ length: 12 }, introspector));

    const issued = (await tokenStreamMessages(cluster)).filter((message) => message.subject === 'tokens.issued.v1');
    const eventIds = issued.flatMap((message) => message.events.map((event) => event.eventId));
    const counts = [await minted(firstAnalytics), await minted(secondAnalytics)];
    console.log(`scale-out summary: 200s=${tokens.length} stored=${stored.size} analytics=${counts} events=${eventIds.length} notStored=${notStored.length} inactive=${inactive} retries=${JSON.stringify(retries)}`);
    expect(tokens.length).toBeGreaterThan(500);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(notStored).toEqual([]);
    expect(inactive).toBe(0);
    expect(counts).toEqual([stored.size, stored.size]);
    expect(eventIds.length).toBe(stored.size);
    expect(new Set(eventIds).size).toBe(eventIds.length);
  }, 180_000);
});
