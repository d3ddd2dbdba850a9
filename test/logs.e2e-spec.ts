import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../scripts/lib/ports';
import { RegistryApi } from '../bench/keymint-api';
import { asyncHookProbeEnv, asyncHookReports } from './support/async-hooks';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http } from './support/http';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The logs as an operator follows them (docs/operations.md, "Logs"): one
 * request id from the /token answer to the registry's RPC and analytics'
 * apply of the event; a request id a client sends is taken only when sound;
 * no secret reaches a line even at the most detailed level; readable lines
 * when asked.
 */
describe('logs', () => {
  let cluster: TestCluster;
  let registry: RegistryApi;

  beforeAll(async () => {
    // A generous RPC timeout: a password sign-in asks the registry, whose hashing is slow on a busy test machine.
    // Every service reports any async hook enabled in it (the last test).
    cluster = await startTestCluster({ env: { LOG_LEVEL: 'trace', RPC_TIMEOUT_MS: '15000', ...asyncHookProbeEnv() } });
    registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
  });
  afterAll(() => cluster?.stop());

  const logFile = (name: string) => readFileSync(join(cluster.dataDir, 'logs', `${name}.log`), 'utf8');
  const entries = (name: string) =>
    logFile(name)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const allLogs = () => readdirSync(join(cluster.dataDir, 'logs')).map((file) => readFileSync(join(cluster.dataDir, 'logs', file), 'utf8')).join('\n');

  it('follow one /token request by its X-Request-Id: the answer, the access line, the RPC it caused and the event analytics applied', async () => {
    const applicationId = await registry.createApplication('followed', 'OAUTH');
    const keys = await registry.generateKeys(applicationId, ['client_credentials']);
    const requestId = 'c0ffee00-follow-me-1';
    const answer = await http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { ...FORM, Authorization: basicAuth(keys.consumerKey, keys.consumerSecret), 'X-Request-Id': requestId },
      body: 'grant_type=client_credentials',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toBe(requestId);

    // Lines use pino's level names, never Nest's "log".
    expect(entries('token-service').every((entry) => ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(entry.level as string))).toBe(true);
    await waitFor(async () => entries('token-service').some((entry) => entry.requestId === requestId && entry.msg === 'request'), 5000, 'the access line');
    expect(entries('token-service').find((entry) => entry.requestId === requestId && entry.msg === 'request')).toMatchObject({
      level: 'info',
      service: 'token-service',
      method: 'POST',
      path: '/token',
      status: 200,
    });
    // The first request of a key asks the registry for it: the RPC is logged there under the same id.
    expect(entries('application-registry')).toContainEqual(expect.objectContaining({ requestId, msg: 'rpc', subject: 'registry.rpc.client.get.v1' }));
    // The tokens.issued.v1 it wrote reached analytics, which says so at debug.
    await waitFor(async () => entries('analytics').some((entry) => entry.requestId === requestId && entry.msg === 'event applied'), 15_000, "analytics' apply");
    expect(entries('analytics').find((entry) => entry.requestId === requestId && entry.msg === 'event applied')).toMatchObject({
      level: 'debug',
      subject: 'tokens.issued.v1',
    });

    // Without an X-Request-Id, one is made, returned and logged.
    const unnamed = await http(cluster.url('token-service', '/token'), { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' });
    expect(unnamed.status).toBe(401);
    const generated = unnamed.headers['x-request-id'] as string;
    expect(generated).toMatch(UUID);
    await waitFor(async () => entries('token-service').some((entry) => entry.requestId === generated && entry.status === 401), 5000, 'the 401 line');
  });

  it('replace an X-Request-Id that would forge a line or bloat every line of the request', async () => {
    const attacks = [
      // A C1 control (NEL) that HTTP carries as a byte and some terminals and log viewers break lines at, then a forged line.
      'id\u0085{"level":"error","msg":"forged entry"}',
      'id with spaces "quoted"',
      `bloat-${'x'.repeat(8000)}`,
    ];
    for (const attack of attacks) {
      const answer = await http(cluster.url('token-service', '/token'), { method: 'POST', headers: { ...FORM, 'X-Request-Id': attack }, body: 'grant_type=client_credentials' });
      expect(answer.status).toBe(401);
      const replaced = answer.headers['x-request-id'] as string;
      expect(replaced).toMatch(UUID);
      await waitFor(async () => entries('token-service').some((entry) => entry.requestId === replaced), 5000, 'the line of the replaced id');
    }
    const logs = allLogs();
    expect(logs).not.toContain('forged entry');
    expect(logs).not.toContain('with spaces');
    expect(logs).not.toContain('x'.repeat(200));
  });

  it('never carry a secret, password or token, even at LOG_LEVEL=trace', async () => {
    const applicationId = await registry.createApplication('secretive', 'OAUTH');
    const keys = await registry.generateKeys(applicationId, ['client_credentials', 'password', 'refresh_token']);
    await registry.createUser('logged-user', 'the-users-Passw0rd-42');
    const token = (body: string, authorization = basicAuth(keys.consumerKey, keys.consumerSecret)) =>
      http(cluster.url('token-service', '/token'), { method: 'POST', headers: { ...FORM, Authorization: authorization }, body });
    const issued = await token('grant_type=password&username=logged-user&password=the-users-Passw0rd-42');
    expect(issued.status).toBe(200);
    const { access_token: accessToken, refresh_token: refreshToken } = issued.json<{ access_token: string; refresh_token: string }>();
    expect((await token('grant_type=password&username=logged-user&password=wrong-Passw0rd-99')).status).toBe(400);
    expect((await token(`grant_type=refresh_token&refresh_token=${refreshToken}`)).status).toBe(200);
    expect((await token('grant_type=client_credentials', basicAuth(keys.consumerKey, 'a-wrong-secret-1234'))).status).toBe(401);
    expect((await token(`grant_type=client_credentials&client_id=${keys.consumerKey}&client_secret=${keys.consumerSecret}`, '')).status).toBeLessThan(500);
    const introspection = await http(cluster.url('token-service', '/oauth2/introspect'), {
      method: 'POST',
      headers: { ...FORM, Authorization: basicAuth(keys.consumerKey, keys.consumerSecret) },
      body: `token=${accessToken}`,
    });
    expect(introspection.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const logs = allLogs();
    const secrets = {
      consumerSecret: keys.consumerSecret,
      basicAuthorization: basicAuth(keys.consumerKey, keys.consumerSecret).slice(6),
      password: 'the-users-Passw0rd-42',
      wrongPassword: 'wrong-Passw0rd-99',
      wrongSecret: 'a-wrong-secret-1234',
      accessToken,
      refreshToken,
      adminPassword: cluster.admin.password,
    };
    expect(Object.entries(secrets).filter(([, secret]) => logs.includes(secret)).map(([name]) => name)).toEqual([]);
  });

  it('are one readable line each with LOG_FORMAT=pretty', async () => {
    const replica = await cluster.addReplica('analytics', { LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' });
    expect((await http(`${replica.baseUrl}/api/analytics/v1/summary`, { headers: { 'X-Request-Id': 'pretty-1' } })).status).toBe(401);
    const lines = () => readFileSync(join(cluster.dataDir, 'logs', 'analytics-replica-1.log'), 'utf8').trim().split('\n');
    await waitFor(async () => lines().some((line) => line.includes('requestId=pretty-1')), 5000, 'the request line');
    expect(lines().filter((line) => line.startsWith('{'))).toEqual([]);
    expect(lines()).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO  analytics analytics ready: https on /));
    expect(lines()).toContainEqual(
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO  analytics request requestId=pretty-1 method=GET path=\/api\/analytics\/v1\/summary status=401 ms=\S+ remote=127\.0\.0\.1$/),
    );
    // The launcher's and the orchestrator's probes are not in an info log.
    expect(lines().filter((line) => line.includes('path=/health'))).toEqual([]);
  });

  it('are carried without an AsyncLocalStorage: no service enables an async hook, through token requests, RPCs and applied events', () => {
    // The request id is passed by hand (libs/telemetry, request-context.ts): on Node 20 an AsyncLocalStorage costs every
    // promise of the process a hook (docs/performance.md). The tests above made /token, RPC and consumer work in each.
    const reports = asyncHookReports(cluster.dataDir);
    const services = Object.keys(reports).filter((file) => /^(token-service|application-registry|analytics)/.test(file));
    expect(services).toEqual(expect.arrayContaining(['token-service.log', 'application-registry.log', 'analytics.log']));
    for (const file of services) expect({ file, ...reports[file] }).toEqual({ file, installed: true, enabled: [] });
  });
});
