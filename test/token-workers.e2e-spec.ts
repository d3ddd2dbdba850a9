import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RegistryApi } from '../bench/keymint-api';
import { freePort, waitFor } from '../scripts/lib/ports';
import { startTestCluster, TestCluster } from './support/cluster';
import { dpopProof } from './support/dpop';
import { basicAuth, http, HttpResult } from './support/http';
import { postgresTestDatabase } from './support/postgres';
import { parseExposition, sumOf } from './support/prometheus';
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
  let database: { url: string; drop: () => Promise<void> } | null = null;
  let registry: RegistryApi;
  let issuer = '';
  /** Every 200 of POST /token in this file, and the tokens among them that were new. */
  const served = { total: 0 };
  const skipped = () => cluster === undefined;

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

  it('replaces a worker that dies, and serves on meanwhile', async () => {
    if (skipped()) return;
    const key = await newKey('replaced', 'JWT');
    const before = await untilEveryWorker(key.basic);
    expect(before).toHaveLength(WORKERS);
    process.kill(before[0], 'SIGKILL');
    // The others answer at once (a request on the dead worker's connection would be lost: these are new ones).
    await new Promise((resolve) => setTimeout(resolve, 200));
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
  }, 60_000);

  it('stops, naming the variable, when its port is taken: no primary left waiting without workers', async () => {
    if (skipped()) return;
    const takenPort = Number(new URL(cluster!.url('token-service')).port);
    const started = spawnSync(process.execPath, [resolve(__dirname, '../dist/apps/token-service/src/main.js')], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: cluster!.dataDir,
        DB_URL: cluster!.dbUrl,
        NATS_URL: cluster!.nats.url,
        NATS_NKEY_SEED_FILE: cluster!.natsCredentials['token-service'].seedFile,
        BIND_HOST: '127.0.0.1',
        TOKEN_SERVICE_HTTP_PORT: String(takenPort),
        TOKEN_SERVICE_HTTPS_PORT: String(await freePort()),
        TOKEN_WORKERS: '2',
        LOG_FORMAT: 'json',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: started.status, signal: started.signal }).toEqual({ status: 1, signal: null });
    expect(started.stdout + started.stderr).toContain(`port ${takenPort} is already in use: set TOKEN_SERVICE_HTTP_PORT to a free port`);
  }, 90_000);

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

/** A client assertion (RFC 7523) signed with ES256, as a client builds it with node:crypto alone. */
function clientAssertion(consumerKey: string, key: KeyObject, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const data = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: consumerKey, sub: consumerKey, aud: audience, iat: now, exp: now + 60, jti: randomUUID() })}`;
  return `${data}.${sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
