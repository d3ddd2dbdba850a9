import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from '@keymint/config';
import { RegistryApi } from '../bench/keymint-api';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http } from './support/http';
import { metricNamesIn, parseExposition, Sample, sumOf } from './support/prometheus';

const SERVICES: ServiceName[] = ['token-service', 'application-registry', 'analytics'];
const LIMIT = 2;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const DASHBOARD = join(__dirname, '..', 'deploy', 'grafana', 'keymint-dashboard.json');

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string }>;
}

/**
 * The Prometheus metrics an operator scrapes, and the Grafana dashboard that reads them (docs/operations.md,
 * "Metrics"), against a real cluster: every metric a panel's query names is exposed by some service, and the
 * domain counters move as the requests made here must move them.
 */
describe('metrics and the Grafana dashboard', () => {
  let cluster: TestCluster;
  let registry: RegistryApi;
  let opaqueClient = '';
  let jwtClient = '';
  let opaqueKey = '';
  let opaqueApplicationId = '';
  let issuedToken = '';

  const scrape = async (service: ServiceName): Promise<Sample[]> => {
    const answer = await http(cluster.url(service, '/metrics'));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    return parseExposition(answer.body);
  };
  const tokenRequest = (authorization: string, address = '198.51.100.1', body: Record<string, string> = { grant_type: 'client_credentials' }) =>
    http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { ...(authorization ? { Authorization: authorization } : {}), 'X-Forwarded-For': address, ...FORM },
      body: new URLSearchParams(body).toString(),
    });

  beforeAll(async () => {
    // A small failure limit, and loopback trusted as a proxy so that each request picks its client address.
    cluster = await startTestCluster({ env: { AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: 'loopback' } });
    registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    opaqueApplicationId = await registry.createApplication('metrics-opaque', 'OAUTH');
    const opaque = await registry.generateKeys(opaqueApplicationId, ['client_credentials']);
    const jwt = await registry.generateKeys(await registry.createApplication('metrics-jwt', 'JWT'), ['client_credentials']);
    opaqueKey = opaque.consumerKey;
    opaqueClient = basicAuth(opaque.consumerKey, opaque.consumerSecret);
    jwtClient = basicAuth(jwt.consumerKey, jwt.consumerSecret);
  });
  afterAll(() => cluster?.stop());

  it('counts issued tokens, refused credentials, 429s, cache lookups, introspections and revocations by their labels', async () => {
    const before = await scrape('token-service');
    const registryBefore = await scrape('application-registry');

    // A new opaque token, then the same one handed out again, then a JWT.
    const first = await tokenRequest(opaqueClient);
    expect(first.status).toBe(200);
    issuedToken = first.json<{ access_token: string }>().access_token;
    const again = await tokenRequest(opaqueClient);
    expect(again.json().access_token).toBe(first.json().access_token);
    const jwt = await tokenRequest(jwtClient);
    expect(jwt.status).toBe(200);
    // A wrong secret, and a key nobody registered.
    expect((await tokenRequest(basicAuth(opaqueKey, 'wrong'), '198.51.100.2')).status).toBe(401);
    expect((await tokenRequest('', '198.51.100.3', { grant_type: 'client_credentials', client_id: 'no-such-key', client_secret: 'x' })).status).toBe(401);
    // LIMIT wrong secrets from one address, then a 429 without a check.
    for (let attempt = 0; attempt < LIMIT; attempt += 1) expect((await tokenRequest(basicAuth(opaqueKey, `wrong-${attempt}`), '198.51.100.4')).status).toBe(401);
    expect((await tokenRequest(basicAuth(opaqueKey, 'wrong-again'), '198.51.100.4')).status).toBe(429);
    // The JWT's client introspects it; the opaque token's client revokes a token nobody issued, then its own.
    const introspected = await http(cluster.url('token-service', '/introspect'), {
      method: 'POST',
      headers: { Authorization: jwtClient, ...FORM },
      body: new URLSearchParams({ token: jwt.json<{ access_token: string }>().access_token }).toString(),
    });
    expect(introspected.json()).toMatchObject({ active: true });
    const revoke = (token: string) =>
      http(cluster.url('token-service', '/revoke'), { method: 'POST', headers: { Authorization: opaqueClient, ...FORM }, body: new URLSearchParams({ token }).toString() });
    expect((await revoke('not-a-token')).status).toBe(200);
    expect((await revoke(first.json<{ access_token: string }>().access_token)).status).toBe(200);
    // The registry asks the token service about a Bearer token (the introspection RPC), and refuses a password guesser with 429.
    expect((await http(cluster.url('application-registry', '/api/am/devportal/v2/applications'), { headers: { Authorization: 'Bearer not-a-token' } })).status).toBe(401);
    for (let attempt = 0; attempt <= LIMIT; attempt += 1) {
      await http(cluster.url('application-registry', '/api/am/devportal/v2/applications'), {
        headers: { Authorization: basicAuth('admin', `wrong-${attempt}`), 'X-Forwarded-For': '198.51.100.5' },
      });
    }

    const after = await scrape('token-service');
    const registryAfter = await scrape('application-registry');
    const moved = (samples: [Sample[], Sample[]], name: string, labels: Record<string, string>) => sumOf(samples[1], name, labels) - sumOf(samples[0], name, labels);
    const token = (name: string, labels: Record<string, string>) => moved([before, after], name, labels);

    const issued = { grant_type: 'client_credentials', binding: 'bearer' };
    expect(token('keymint_tokens_issued_total', { ...issued, token_type: 'opaque', reused: 'false' })).toBe(1);
    expect(token('keymint_tokens_issued_total', { ...issued, token_type: 'opaque', reused: 'true' })).toBe(1);
    expect(token('keymint_tokens_issued_total', { ...issued, token_type: 'jwt', reused: 'false' })).toBe(1);
    expect(token('keymint_tokens_issued_total', {})).toBe(3);
    expect(token('keymint_token_request_duration_seconds_count', { grant_type: 'client_credentials' })).toBe(3);

    expect(token('keymint_client_authentication_failures_total', { reason: 'bad_secret', method: 'client_secret_basic' })).toBe(1 + LIMIT);
    expect(token('keymint_client_authentication_failures_total', { reason: 'unknown_client', method: 'client_secret_post' })).toBe(1);
    expect(token('keymint_client_authentication_failures_total', {})).toBe(2 + LIMIT);
    expect(token('keymint_rate_limited_total', { endpoint: 'token', limiter: 'client' })).toBe(1);
    expect(token('keymint_rate_limited_total', {})).toBe(1);

    expect(token('keymint_client_cache_lookups_total', { result: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(token('keymint_client_cache_lookups_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    expect(token('keymint_client_cache_lookups_total', { result: 'stale' })).toBe(0);

    expect(token('keymint_introspections_total', { source: 'http', result: 'active' })).toBe(1);
    expect(token('keymint_introspections_total', { source: 'rpc', result: 'inactive' })).toBeGreaterThanOrEqual(1);
    expect(token('keymint_revocations_total', { result: 'unknown_token' })).toBe(1);
    expect(token('keymint_revocations_total', { result: 'revoked' })).toBe(1);

    expect(moved([registryBefore, registryAfter], 'keymint_rate_limited_total', { endpoint: 'rest_api', limiter: 'user' })).toBe(1);
  });

  it('names each series with its service, and no label names a consumer key, an application id, a token or an address', async () => {
    // A path with an id in it: its series is labelled with the route, never the path.
    const application = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${opaqueApplicationId}`), {
      headers: { Authorization: cluster.adminAuthorization() },
    });
    expect(application.status).toBe(200);
    const secrets = [opaqueKey, opaqueApplicationId, issuedToken, '198.51.100.'];
    for (const service of SERVICES) {
      const samples = await scrape(service);
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.filter((sample) => sample.labels.service !== service)).toEqual([]);
      const revealing = samples.filter((sample) => Object.values(sample.labels).some((value) => secrets.some((secret) => value.includes(secret))));
      expect(revealing).toEqual([]);
    }
    const registry = await scrape('application-registry');
    expect(registry.some((sample) => sample.name === 'http_requests_total' && sample.labels.route === '/api/am/devportal/v2/applications/:applicationId')).toBe(true);
  });

  it('shows the outbox emptied and each durable consumer caught up', async () => {
    const deadline = Date.now() + 20_000;
    let token: Sample[] = [];
    let analytics: Sample[] = [];
    for (;;) {
      token = await scrape('token-service');
      analytics = await scrape('analytics');
      const settled =
        sumOf(token, 'keymint_outbox_backlog') === 0 &&
        sumOf(token, 'keymint_outbox_oldest_age_seconds') === 0 &&
        analytics.some((sample) => sample.name === 'keymint_consumer_lag' && sample.labels.consumer === 'analytics-tokens') &&
        sumOf(analytics, 'keymint_consumer_lag') === 0;
      if (settled || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(sumOf(token, 'keymint_outbox_backlog')).toBe(0);
    expect(sumOf(token, 'keymint_outbox_oldest_age_seconds')).toBe(0);
    expect(sumOf(analytics, 'keymint_consumer_lag', { consumer: 'analytics-tokens' })).toBe(0);
    // Every durable consumer's lag, each asked of JetStream by the service that consumes (its bus user may).
    const consumers = (samples: Sample[]) => samples.filter((sample) => sample.name === 'keymint_consumer_lag').map((sample) => sample.labels.consumer).sort();
    expect(consumers(token)).toEqual(['token-service-registry']);
    expect(consumers(analytics)).toEqual(['analytics-registry', 'analytics-tokens']);
  });

  it('shows events waiting in the outbox, and the age of the oldest growing, while NATS is away; none once it is back', async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await cluster.nats.stop('SIGKILL');
    try {
      // The token service issues without NATS; the token's event waits in its outbox.
      expect((await tokenRequest(jwtClient)).status).toBe(200);
      await sleep(1500);
      const waiting = await scrape('token-service');
      expect(sumOf(waiting, 'keymint_outbox_backlog')).toBeGreaterThanOrEqual(1);
      const age = sumOf(waiting, 'keymint_outbox_oldest_age_seconds');
      expect(age).toBeGreaterThanOrEqual(1);
      await sleep(1000);
      expect(sumOf(await scrape('token-service'), 'keymint_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(age + 0.9);
    } finally {
      await cluster.nats.start();
    }
    const deadline = Date.now() + 30_000;
    let published = await scrape('token-service');
    while (sumOf(published, 'keymint_outbox_oldest_age_seconds') > 0 && Date.now() < deadline) {
      await sleep(250);
      published = await scrape('token-service');
    }
    expect(sumOf(published, 'keymint_outbox_backlog')).toBe(0);
    expect(sumOf(published, 'keymint_outbox_oldest_age_seconds')).toBe(0);
  });

  it('has a dashboard whose every query reads metrics the services expose, through a Prometheus data source chosen on import', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { templating: { list: Array<{ name: string; type: string; query: string }> }; panels: Panel[] };
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));

    const exposed = new Set<string>();
    for (const service of SERVICES) for (const sample of await scrape(service)) exposed.add(sample.name);
    const queried = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queried.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const panel of queried) {
      expect(panel.datasource?.uid).toBe('${datasource}');
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const { expr } of panel.targets!) {
        const names = metricNamesIn(expr);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) if (!exposed.has(name)) missing.push(`${panel.title}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
