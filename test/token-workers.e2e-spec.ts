import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RegistryApi } from '../bench/keymint-api';
import { Client } from 'pg';
import { freePort, waitFor } from '../scripts/lib/ports';
import { startTestCluster, TestCluster } from './support/cluster';
import { dpopProof } from './support/dpop';
import { basicAuth, http, HttpResult } from './support/http';
import { postgresAdminUrl, postgresTestDatabase, TestDatabase } from './support/postgres';
import { parseExposition, Sample, sumOf } from './support/prometheus';
import { queryStore } from './support/store';
import { tokenLoad } from './support/token-load';

const WORKERS = 3;
const FAILURE_LIMIT = 5;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * TOKEN_WORKERS=3: the token service's routes served by three processes on the same ports, each connection
 * accepted by whichever the kernel wakes. Every request below goes over a connection of its own (Connection:
 * close), so a burst lands on all of them, and what the service promises must hold across them: one token for a
 * burst of identical reuse requests, a single-use JWT accepted once, the failure limit counted once for all,
 * a regenerated secret refused everywhere, the metrics and analytics counting every process's tokens, and a
 * SIGTERM that drains every process.
 */
describe('TOKEN_WORKERS: the token service on several processes (PostgreSQL)', () => {
  let cluster: TestCluster | undefined;
  let database: TestDatabase | null = null;
  let registry: RegistryApi;
  let issuer = '';
  /** Every 200 of POST /token in this file, and the tokens among them that were new. */
  const served = { total: 0 };
  const skipped = () => cluster === undefined;

  /**
   * The token service started alone, to its end, on this cluster's store and bus (fresh ports; `env` overrides):
   * for the starts that must fail, with their exit status and output.
   */
  const startAlone = async (env: Record<string, string>, timeout: number) =>
    spawnSync(process.execPath, [resolve(__dirname, '../dist/apps/token-service/src/main.js')], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: cluster!.dataDir,
        DB_URL: cluster!.dbUrl,
        NATS_URL: cluster!.nats.url,
        NATS_NKEY_SEED_FILE: cluster!.natsCredentials['token-service'].seedFile,
        BIND_HOST: '127.0.0.1',
        TOKEN_SERVICE_HTTP_PORT: String(await freePort()),
        TOKEN_SERVICE_HTTPS_PORT: String(await freePort()),
        LOG_FORMAT: 'json',
        ...env,
      },
      encoding: 'utf8',
      timeout,
    });

  beforeAll(async () => {
    database = await postgresTestDatabase();
    if (!database) return;
    cluster = await startTestCluster({
      dbUrl: database.url,
      env: { TOKEN_WORKERS: String(WORKERS), AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT) },
    });
    registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    issuer = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json<{ issuer: string }>().issuer;
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  /** A request of its own connection, tagged with a request id that the access line of the process that served it carries. */
  const token = async (headers: Record<string, string>, body: Record<string, string> = { grant_type: 'client_credentials' }) => {
    const requestId = `workers-${randomUUID()}`;
    const response = await http(cluster!.url('token-service', '/token'), {
      method: 'POST',
      headers: { ...FORM, Connection: 'close', 'X-Request-Id': requestId, ...headers },
      body: new URLSearchParams(body).toString(),
    });
    if (response.status === 200) served.total += 1;
    return { response, requestId };
  };

  /** The pid of the process whose access line carries each request id. */
  const servingPids = (requestIds: string[]): number[] => {
    const wanted = new Set(requestIds);
    const pids = new Set<number>();
    for (const line of readFileSync(join(cluster!.dataDir, 'logs', 'token-service.log'), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { requestId?: string; pid?: number; path?: string };
      if (entry.requestId && wanted.has(entry.requestId) && entry.path !== undefined) pids.add(entry.pid!);
    }
    return [...pids];
  };

  /** Batches of 30 requests, each over a connection of its own, until every worker has answered some; the pids that answered. */
  const untilEveryWorker = async (authorization: string): Promise<number[]> => {
    const requestIds: string[] = [];
    let pids: number[] = [];
    for (let batch = 0; batch < 20 && pids.length < WORKERS; batch += 1) {
      const answers = await Promise.all(Array.from({ length: 30 }, () => token({ Authorization: authorization })));
      expect(answers.map(({ response }) => response.status).filter((status) => status !== 200)).toEqual([]);
      requestIds.push(...answers.map(({ requestId }) => requestId));
      await new Promise((resolve) => setTimeout(resolve, 100));
      pids = servingPids(requestIds);
    }
    return pids;
  };

  const newKey = async (name: string, tokenType: 'JWT' | 'OAUTH' = 'OAUTH') => {
    const applicationId = await registry.createApplication(`${name}-${randomUUID().slice(0, 8)}`, tokenType);
    const generated = await http(cluster!.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/generate-keys`), {
      method: 'POST',
      headers: { Authorization: cluster!.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'] }),
    });
    expect(generated.status).toBe(200);
    const key = generated.json<{ consumerKey: string; consumerSecret: string; keyMappingId: string }>();
    return { applicationId, ...key, basic: basicAuth(key.consumerKey, key.consumerSecret) };
  };

  it('spreads connections over every process, none of them the primary', async () => {
    if (skipped()) return;
    const { basic } = await newKey('spread', 'JWT');
    const answers = await Promise.all(Array.from({ length: 60 }, () => token({ Authorization: basic })));
    expect(answers.map(({ response }) => response.status)).toEqual(Array(60).fill(200));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pids = servingPids(answers.map(({ requestId }) => requestId));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids).not.toContain(cluster!.service('token-service').pid);
  });

  it('mints one token for 100 identical concurrent reuse requests over as many connections, with no 503', async () => {
    if (skipped()) return;
    const key = await newKey('burst');
    const answers = await Promise.all(Array.from({ length: 100 }, () => token({ Authorization: key.basic })));
    const statuses = answers.map(({ response }) => response.status);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(new Set(answers.map(({ response }) => response.json<{ access_token: string }>().access_token)).size).toBe(1);
    const rows = await queryStore(cluster!, 'token', `SELECT COUNT(*) AS n FROM token_tokens WHERE "consumerKey" = '${key.consumerKey}' AND kind = 'access'`);
    expect(Number(rows[0].n)).toBe(1);
    expect(servingPids(answers.map(({ requestId }) => requestId)).length).toBeGreaterThanOrEqual(2);
  });

  it('accepts a client assertion replayed concurrently on 20 connections once', async () => {
    if (skipped()) return;
    const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const applicationId = await registry.createApplication(`assertion-${randomUUID().slice(0, 8)}`, 'JWT');
    const generated = await http(cluster!.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/generate-keys`), {
      method: 'POST',
      headers: { Authorization: cluster!.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        keyType: 'PRODUCTION',
        grantTypesToBeSupported: ['client_credentials'],
        tokenEndpointAuthMethods: ['private_key_jwt'],
        jwks: { keys: [{ ...keyPair.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] },
      }),
    });
    expect(generated.status).toBe(200);
    const { consumerKey } = generated.json<{ consumerKey: string }>();
    const jwt = clientAssertion(consumerKey, keyPair.privateKey, issuer);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => token({}, { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt })),
    );
    expect(answers.filter(({ response }) => response.status === 200)).toHaveLength(1);
    // A replay is an authentication failure: past AUTH_FAILURE_LIMIT of them the client is refused without a check.
    const refused = answers.filter(({ response }) => response.status !== 200).map(({ response }) => (response.status === 401 && /already used/.test(response.body) ? 'replay' : response.status));
    expect(refused.filter((kind) => kind !== 'replay' && kind !== 429)).toEqual([]);
    expect(refused.filter((kind) => kind === 'replay').length).toBeGreaterThanOrEqual(1);
    expect(servingPids(answers.map(({ requestId }) => requestId)).length).toBeGreaterThanOrEqual(2);
  });

  it('accepts a DPoP proof replayed concurrently on 20 connections once', async () => {
    if (skipped()) return;
    const key = await newKey('dpop', 'JWT');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const proof = dpopProof(privateKey, { htu: cluster!.url('token-service', '/token') });
    const answers = await Promise.all(Array.from({ length: 20 }, () => token({ Authorization: key.basic, DPoP: proof })));
    expect(answers.filter(({ response }) => response.status === 200)).toHaveLength(1);
    expect(answers.filter(({ response }) => response.status !== 200).every(({ response }) => response.json<{ error: string }>().error === 'invalid_dpop_proof')).toBe(true);
  });

  it('counts a client\'s authentication failures across the processes: the limit, then 429', async () => {
    if (skipped()) return;
    const key = await newKey('guessed');
    const wrong = basicAuth(key.consumerKey, 'not-the-secret');
    const answers = await Promise.all(Array.from({ length: 20 }, () => token({ Authorization: wrong })));
    const statuses = answers.map(({ response }) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(FAILURE_LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20 - FAILURE_LIMIT);
    expect(servingPids(answers.map(({ requestId }) => requestId)).length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a regenerated secret on every process, though each had the client cached', async () => {
    if (skipped()) return;
    const key = await newKey('regenerated');
    // Every process caches the client (CLIENT_CACHE_TTL is 5 minutes): only the registry's event can drop it.
    expect(await untilEveryWorker(key.basic)).toHaveLength(WORKERS);
    const regenerated = await http(
      cluster!.url('application-registry', `/api/am/devportal/v2/applications/${key.applicationId}/oauth-keys/${key.keyMappingId}/regenerate-secret`),
      { method: 'POST', headers: { Authorization: cluster!.adminAuthorization() } },
    );
    expect(regenerated.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await Promise.all(Array.from({ length: 30 }, () => token({ Authorization: key.basic })));
    expect(after.map(({ response }) => response.status).filter((status) => status === 200)).toEqual([]);
    expect(servingPids(after.map(({ requestId }) => requestId))).toHaveLength(WORKERS);
  });

  it('reports every process\'s answers in /metrics, whichever process is scraped, and analytics counts them exactly', async () => {
    if (skipped()) return;
    const minted = (await queryStore(cluster!, 'token', `SELECT COUNT(*) AS n FROM token_tokens WHERE kind = 'access'`))[0].n;
    const scrapes: Array<{ served: number; minted: number }> = [];
    for (let scrape = 0; scrape < 6; scrape += 1) {
      const text = (await http(cluster!.url('token-service', '/metrics'), { headers: { Connection: 'close' } })).body;
      const samples = parseExposition(text);
      scrapes.push({ served: sumOf(samples, 'keymint_tokens_issued_total'), minted: sumOf(samples, 'keymint_tokens_issued_total', { reused: 'false' }) });
    }
    expect(scrapes).toEqual(Array(6).fill({ served: served.total, minted: Number(minted) }));

    let counted: { served?: number; minted?: number } = {};
    await waitFor(
      async () => {
        const summary = await http(cluster!.url('analytics', '/api/analytics/v1/summary'), { headers: { Authorization: cluster!.adminAuthorization() } });
        const body = summary.json<{ minted: Record<string, number>; served: Record<string, number> }>();
        counted = { served: body.served.client_credentials, minted: body.minted.client_credentials };
        return counted.served === served.total && counted.minted === Number(minted);
      },
      20_000,
      'analytics to count every token',
      200,
    ).catch(() => undefined);
    expect(counted).toEqual({ served: served.total, minted: Number(minted) });
  });

  /** One scrape over a connection of its own: its samples, how long it took, and the series that are counters (or histograms). */
  const scrape = async (timeoutMs = 10_000) => {
    const started = Date.now();
    const response = await http(cluster!.url('token-service', '/metrics'), { headers: { Connection: 'close' }, timeoutMs });
    return { status: response.status, ms: Date.now() - started, samples: response.status === 200 ? parseExposition(response.body) : [], counters: monotonicSeries(response.body) };
  };

  it('exposes the primary\'s own CPU, memory and event loop, labelled process="primary"', async () => {
    if (skipped()) return;
    const { samples } = await scrape();
    const primary = (name: string) => samples.filter((sample) => sample.name === name && sample.labels.process === 'primary');
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
      expect({ name, series: primary(name).length }).toEqual({ name, series: 1 });
    }
    expect(primary('process_resident_memory_bytes')[0].value).toBeGreaterThan(0);
    // The workers' sums are the series without the label: the primary's are not added to them.
    expect(samples.filter((sample) => sample.name === 'process_resident_memory_bytes' && sample.labels.process === undefined)).toHaveLength(1);
  });

  it('answers /metrics within 2 s while a worker is stopped (SIGSTOP), naming the one missing, its counters kept', async () => {
    if (skipped()) return;
    const key = await newKey('hung', 'JWT');
    const pids = await untilEveryWorker(key.basic);
    expect(pids).toHaveLength(WORKERS);
    const before = await scrape();
    expect(sumOf(before.samples, 'keymint_worker_reporting')).toBe(WORKERS);
    process.kill(pids[0], 'SIGSTOP');
    try {
      // A connection dealt to the stopped worker waits for it like any request to a hung process: those time out here.
      const scrapes = await Promise.all(Array.from({ length: 6 }, () => scrape(4000).catch((error: Error) => ({ error: error.message }))));
      const answered = scrapes.filter((each): each is Awaited<ReturnType<typeof scrape>> => 'status' in each);
      expect(answered.length).toBeGreaterThanOrEqual(2);
      console.log(`scrapes while a worker is stopped: ${JSON.stringify(scrapes.map((each) => ('status' in each ? { status: each.status, ms: each.ms } : each)))}`);
      for (const { status, ms, samples } of answered) {
        const reporting = samples.filter((sample) => sample.name === 'keymint_worker_reporting');
        expect({ status, fast: ms < 2500, reporting: reporting.map((sample) => sample.value).sort() }).toEqual({ status: 200, fast: true, reporting: [0, 1, 1] });
        // The stopped worker's counters are its last reported: no counter went down.
        expect(decreases(before.counters, samples)).toEqual([]);
      }
      expect(readFileSync(join(cluster!.dataDir, 'logs', 'token-service.log'), 'utf8')).toContain(`(pid ${pids[0]}) did not send its metrics`);
    } finally {
      process.kill(pids[0], 'SIGCONT');
    }
    await waitFor(async () => sumOf((await scrape()).samples, 'keymint_worker_reporting') === WORKERS, 10_000, 'every worker reporting again', 200);
  }, 60_000);

  it('replaces a worker that dies, and serves on meanwhile', async () => {
    if (skipped()) return;
    const key = await newKey('replaced', 'JWT');
    const before = await untilEveryWorker(key.basic);
    expect(before).toHaveLength(WORKERS);
    const countedBefore = await scrape();
    process.kill(before[0], 'SIGKILL');
    // Once the primary knows (a connection dealt to a worker in the instant it dies waits for the client's timeout:
    // docs/operations.md, "Serving from several cores"), the others answer at once, the replacement not yet started.
    const log = join(cluster!.dataDir, 'logs', 'token-service.log');
    await waitFor(async () => /worker \d stopped \(SIGKILL\); starting another/.test(readFileSync(log, 'utf8')), 10_000, 'the primary to see the worker stop', 20);
    const meanwhile = await Promise.all(Array.from({ length: 10 }, () => token({ Authorization: key.basic })));
    expect(meanwhile.map(({ response }) => response.status)).toEqual(Array(10).fill(200));
    let after: number[] = [];
    await waitFor(
      async () => {
        after = await untilEveryWorker(key.basic);
        return after.length === WORKERS;
      },
      30_000,
      'a replacement worker',
      500,
    ).catch(() => undefined);
    expect({ workers: after.length, deadOneServes: after.includes(before[0]) }).toEqual({ workers: WORKERS, deadOneServes: false });
    expect(readFileSync(join(cluster!.dataDir, 'logs', 'token-service.log'), 'utf8')).toMatch(/worker \d stopped \(SIGKILL\); starting another/);
    // The dead worker's counts are not lost with it: Prometheus would read a sum that goes down as a counter reset.
    const countedAfter = await scrape();
    expect(decreases(countedBefore.counters, countedAfter.samples)).toEqual([]);
    expect(sumOf(countedAfter.samples, 'keymint_tokens_issued_total')).toBeGreaterThanOrEqual(sumOf(countedBefore.samples, 'keymint_tokens_issued_total') + 10);
  }, 60_000);

  it('stops, naming the variable, when its port is taken: no primary left waiting without workers', async () => {
    if (skipped()) return;
    const takenPort = Number(new URL(cluster!.url('token-service')).port);
    const started = await startAlone({ TOKEN_SERVICE_HTTP_PORT: String(takenPort), TOKEN_WORKERS: '2' }, 60_000);
    expect({ status: started.status, signal: started.signal }).toEqual({ status: 1, signal: null });
    expect(started.stdout + started.stderr).toContain(`port ${takenPort} is already in use: set TOKEN_SERVICE_HTTP_PORT to a free port`);
  }, 90_000);

  it('stops with exit 1 after a worker keeps stopping at start, restarting it later each time', async () => {
    if (skipped()) return;
    // A service of its own on a database of its own, which then refuses new connections: a replacement worker
    // cannot open its store and stops at start, again and again.
    const own = (await postgresTestDatabase())!;
    const name = new URL(own.url).pathname.slice(1);
    try {
      const replica = await cluster!.addReplica('token-service', { DB_URL: own.url, TOKEN_WORKERS: '2', LOG_FORMAT: 'json' });
      const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => replica.onExit((code, signal) => resolve({ code, signal, at: Date.now() })));
      await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      const killedAt = Date.now();
      process.kill(childPids(replica.pid!)[0], 'SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 60_000)))]);
      clearTimeout(timer);
      const log = readFileSync(replica.options.logFile!, 'utf8');
      expect({ code: outcome?.code, signal: outcome?.signal }).toEqual({ code: 1, signal: null });
      expect(log).toMatch(/token-service worker \d stopped 5 times in a row before it was ready or within 30 s of it \(last: exit code 1\)/);
      const delays = [...log.matchAll(/starting another in (\d+) s/g)].map((match) => Number(match[1]));
      expect(delays).toEqual([1, 2, 4, 8]);
      // The delays were waited: at least 15 s between the kill and the exit.
      expect(outcome!.at - killedAt).toBeGreaterThanOrEqual(15_000);
    } finally {
      await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await own.drop();
    }
  }, 120_000);

  it('stops with exit 1 when its first worker is not ready within TOKEN_WORKER_START_TIMEOUT (NATS unreachable)', async () => {
    if (skipped()) return;
    // Nothing listens at NATS_URL: the worker waits for NATS (as one process does), forever.
    const started = await startAlone({ NATS_URL: `nats://127.0.0.1:${await freePort()}`, TOKEN_WORKERS: '2', TOKEN_WORKER_START_TIMEOUT: '5' }, 40_000);
    expect({ status: started.status, signal: started.signal }).toEqual({ status: 1, signal: null });
    expect(started.stdout + started.stderr).toContain('token-service worker 1 was not ready within 5 s of its start (TOKEN_WORKER_START_TIMEOUT)');
  }, 60_000);

  it('refuses to start more workers than PostgreSQL\'s max_connections allows their pools', async () => {
    if (skipped()) return;
    const [{ max_connections: max, superuser_reserved_connections: reserved }] = (await adminQuery('SELECT current_setting(\'max_connections\')::int AS max_connections, current_setting(\'superuser_reserved_connections\')::int AS superuser_reserved_connections')) as Array<Record<string, number>>;
    // Each worker's pool is 8 connections from 5 workers on (poolSizeOf): the fewest workers whose pools exceed the server's limit.
    const workers = Math.max(6, Math.floor((max - reserved) / 8) + 1);
    if (workers > 64) return;
    const started = await startAlone({ TOKEN_WORKERS: String(workers) }, 30_000);
    expect({ status: started.status, signal: started.signal }).toEqual({ status: 1, signal: null });
    expect(started.stdout + started.stderr).toContain(`TOKEN_WORKERS=${workers} would open up to ${workers * 8} PostgreSQL connections`);
  }, 60_000);

  it('drains every process on SIGTERM: 200s, then refused (or, a few, reset) new connections, and no process left', async () => {
    if (skipped()) return;
    const key = await newKey('drain', 'JWT');
    const workerPids = servingPids((await Promise.all(Array.from({ length: 30 }, () => token({ Authorization: key.basic })))).map(({ requestId }) => requestId));
    const { seen, stop } = tokenLoad(cluster!.url('token-service', '/token'), key.basic);
    await waitFor(async () => (seen['HTTP 200'] ?? 0) >= 100, 30_000, 'a hundred tokens', 50);
    await cluster!.service('token-service').stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stop();
    console.log(`during SIGTERM: ${JSON.stringify(seen)}`);
    // Every answer a worker gave was a 200 (no 503, no 500, no answer cut). Known gap (docs/operations.md, "Serving
    // from several cores"): unlike one process, a stop with workers resets a few connections the primary had
    // accepted but not handed out when the last worker closed (0-4 in ~500, about one stop in three; seen with fresh
    // connections too, so not the keep-alive race). The client's retry policy covers a connection error.
    expect(seen['HTTP 200']).toBeGreaterThan(100);
    expect(seen.ECONNREFUSED).toBeGreaterThan(0);
    expect(Object.keys(seen).filter((kind) => !['HTTP 200', 'ECONNREFUSED', 'ECONNRESET'].includes(kind))).toEqual([]);
    expect(seen.ECONNRESET ?? 0).toBeLessThan(20);
    const alive = workerPids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 60_000);
});

describe('TOKEN_WORKERS on SQLite', () => {
  it('is refused at start, with the reason', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keymint-workers-'));
    try {
      const started = spawnSync(process.execPath, [resolve(__dirname, '../dist/apps/token-service/src/main.js')], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, TOKEN_WORKERS: '2', LOG_FORMAT: 'json' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(started.status).toBe(1);
      expect(started.stdout + started.stderr).toContain('TOKEN_WORKERS=2 needs PostgreSQL (DB_URL)');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Counter and histogram series of a /metrics text (the ones Prometheus reads as only ever growing), by name and labels. */
function monotonicSeries(text: string): Sample[] {
  const monotonic = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (counter|histogram)$/gm)) monotonic.add(match[1]);
  const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
  return parseExposition(text).filter((sample) => monotonic.has(sample.name) || monotonic.has(family(sample.name)));
}

/** The series of `before` whose value in `after` is lower (or gone). */
function decreases(before: Sample[], after: Sample[]): string[] {
  const key = (sample: Sample) => `${sample.name}${JSON.stringify(sample.labels)}`;
  const values = new Map(after.map((sample) => [key(sample), sample.value]));
  return before.filter((sample) => !((values.get(key(sample)) ?? -1) >= sample.value)).map((sample) => `${key(sample)}: ${sample.value} -> ${values.get(key(sample))}`);
}

/** A statement on the server's own database as its administrator. */
async function adminQuery(sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: (await postgresAdminUrl())! });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The processes whose parent is `pid` (the workers of a primary). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // The fourth field of /proc/<pid>/stat, after the command in parentheses, is the parent's pid.
        return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A client assertion (RFC 7523) signed with ES256, as a client builds it with node:crypto alone. */
function clientAssertion(consumerKey: string, key: KeyObject, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const data = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: consumerKey, sub: consumerKey, aud: audience, iat: now, exp: now + 60, jti: randomUUID() })}`;
  return `${data}.${sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
