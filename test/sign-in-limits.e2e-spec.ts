import { RegistryApi } from '../bench/keymint-api';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http, HttpResult } from './support/http';
import { postgresTestDatabase, TestDatabase } from './support/postgres';

const LIMIT = 5;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

/**
 * One failure limit for every sign-in (docs/security.md, "Sign-in limits"), played as an attacker would:
 * guessing a user's password at the registry, at analytics, at the token endpoint and at introspection,
 * in bursts, in other letter cases, from a fresh IPv6 address of the same /64, and across replicas.
 * The cluster trusts loopback as a proxy, so each test picks its client address with X-Forwarded-For.
 */
describe('sign-in limits', () => {
  let cluster: TestCluster;
  let client = '';
  const devportal = () => cluster.url('application-registry', '/api/am/devportal/v2/applications');
  const summary = () => cluster.url('analytics', '/api/analytics/v1/summary');

  beforeAll(async () => {
    // A generous RPC timeout: the guesses analytics and the token service pass to the registry are checked with scrypt,
    // which on a two-core machine running other suites beside this one has taken over the default 3 s (a 503, not the
    // 401 these tests count).
    cluster = await startTestCluster({ env: { AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: 'loopback', RPC_TIMEOUT_MS: '15000' } });
    for (const username of ['alice', 'bob', 'carol', 'dave', 'erin']) await createUser(cluster, username);
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const keys = await registry.generateKeys(await registry.createApplication('limits', 'OAUTH'), ['client_credentials', 'password']);
    client = basicAuth(keys.consumerKey, keys.consumerSecret);
  });
  afterAll(() => cluster?.stop());

  const from = (address: string, authorization: string) => ({ Authorization: authorization, 'X-Forwarded-For': address });
  const passwordGrant = (address: string, username: string, password: string) =>
    http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { ...from(address, client), ...FORM },
      body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    });

  it('ends 30 wrong Basic passwords at the registry in 429 with Retry-After, while the right password from another address still works', async () => {
    const statuses: number[] = [];
    let last: HttpResult | undefined;
    for (let attempt = 0; attempt < 30; attempt += 1) {
      last = await http(devportal(), { headers: from('198.51.100.1', basicAuth('alice', `wrong-${attempt}`)) });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(30 - LIMIT).fill(429));
    expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(last!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(last!.json()).toMatchObject({ code: 429 });

    // Refused without a check, even with the right password, from the attacker's address ...
    expect((await http(devportal(), { headers: from('198.51.100.1', basicAuth('alice', password('alice'))) })).status).toBe(429);
    // ... while alice, elsewhere, signs in.
    expect((await http(devportal(), { headers: from('198.51.100.2', basicAuth('alice', password('alice'))) })).status).toBe(200);
  });

  it('gives Alice, ALICE and alice one budget', async () => {
    const codes: string[] = [];
    for (const username of ['Alice', 'ALICE', 'alice', 'aLiCe', 'ALICE', 'alice', 'Alice']) {
      codes.push((await passwordGrant('198.51.100.3', username, 'wrong')).json<{ error: string }>().error);
    }
    expect(codes).toEqual([...Array(LIMIT).fill('invalid_grant'), 'too_many_requests', 'too_many_requests']);
  });

  it('checks no more than the limit of 50 concurrent wrong passwords, at the registry and at the token endpoint', async () => {
    const atRegistry = await Promise.all(
      Array.from({ length: 50 }, (_, guess) => http(devportal(), { headers: from('198.51.100.4', basicAuth('bob', `guess-${guess}`)) })),
    );
    const statuses = atRegistry.map((answer) => answer.status);
    // At most LIMIT guesses checked; the rest refused unchecked. A checked guess may still find the password
    // hashing at its cap on a loaded machine (503, docs/registry.md, "Password storage"), never anything else.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50 - LIMIT);
    expect(statuses.filter((status) => ![401, 429, 503].includes(status))).toEqual([]);

    const atTokenEndpoint = await Promise.all(Array.from({ length: 50 }, (_, guess) => passwordGrant('198.51.100.5', 'bob', `guess-${guess}`)));
    const errors = atTokenEndpoint.map((answer) => answer.json<{ error: string }>().error);
    expect(errors.filter((error) => error === 'invalid_grant').length).toBeLessThanOrEqual(LIMIT);
    expect(errors.filter((error) => error === 'too_many_requests')).toHaveLength(50 - LIMIT);
    expect(errors.filter((error) => !['invalid_grant', 'too_many_requests', 'temporarily_unavailable'].includes(error))).toEqual([]);
  });

  it('checks no more than the limit of 50 concurrent wrong consumer secrets, also while the key is being looked up', async () => {
    // A key the token service has not seen: every request of the burst waits for its lookup at the registry.
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const keys = await registry.generateKeys(await registry.createApplication('cold', 'OAUTH'), ['client_credentials']);
    const consumerKey = keys.consumerKey;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, guess) =>
        http(cluster.url('token-service', '/token'), {
          method: 'POST',
          headers: { ...from('198.51.100.6', basicAuth(consumerKey, `guess-${guess}`)), ...FORM },
          body: 'grant_type=client_credentials',
        }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(LIMIT);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(50 - LIMIT);
    const rightSecretFromThere = await http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { ...from('198.51.100.6', basicAuth(consumerKey, keys.consumerSecret)), ...FORM },
      body: 'grant_type=client_credentials',
    });
    expect(rightSecretFromThere.status).toBe(429);
    // The key itself keeps working from its own address.
    const own = await http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { ...from('198.51.100.7', basicAuth(consumerKey, keys.consumerSecret)), ...FORM },
      body: 'grant_type=client_credentials',
    });
    expect(own.status).toBe(200);
  });

  it('counts a user once wherever the guesses arrive: registry, analytics, the password grant and introspection', async () => {
    const address = '198.51.100.8';
    expect((await http(devportal(), { headers: from(address, basicAuth('carol', 'wrong-1')) })).status).toBe(401);
    expect((await http(summary(), { headers: from(address, basicAuth('carol', 'wrong-2')) })).status).toBe(401);
    expect((await passwordGrant(address, 'carol', 'wrong-3')).json()).toMatchObject({ error: 'invalid_grant' });
    const introspection = await http(cluster.url('token-service', '/introspect'), {
      method: 'POST',
      headers: { ...from(address, basicAuth('carol', 'wrong-4')), ...FORM },
      body: 'token=anything',
    });
    expect(introspection.status).toBe(401);
    expect((await http(summary(), { headers: from(address, basicAuth('Carol', 'wrong-5')) })).status).toBe(401);
    // The sixth, wherever it arrives, is refused.
    expect((await http(devportal(), { headers: from(address, basicAuth('carol', password('carol'))) })).status).toBe(429);
    const refusedAtAnalytics = await http(summary(), { headers: from(address, basicAuth('carol', 'wrong-6')) });
    expect(refusedAtAnalytics.status).toBe(429);
    expect(Number(refusedAtAnalytics.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await passwordGrant(address, 'carol', password('carol'))).json()).toMatchObject({ error: 'too_many_requests' });
  });

  it('counts an IPv6 client by its /64: a fresh address of the same /64 gets no fresh budget', async () => {
    for (let guess = 1; guess <= LIMIT; guess += 1) {
      expect((await http(devportal(), { headers: from(`2001:db8:5:5::${guess}`, basicAuth('dave', 'wrong')) })).status).toBe(401);
    }
    expect((await http(devportal(), { headers: from('2001:db8:5:5:ffff::1234', basicAuth('dave', password('dave'))) })).status).toBe(429);
    expect((await http(devportal(), { headers: from('2001:db8:5:6::1', basicAuth('dave', password('dave'))) })).status).toBe(200);
  });
});

/**
 * Two token-service and two registry replicas on one PostgreSQL: an attacker who spreads guesses over the
 * replicas gets the limit, not twice it.
 */
describe('sign-in limits across replicas on PostgreSQL', () => {
  let cluster: TestCluster | undefined;
  let database: TestDatabase | undefined;
  let tokenUrls: string[] = [];
  let registryUrls: string[] = [];
  let consumerKey = '';

  beforeAll(async () => {
    database = (await postgresTestDatabase()) ?? undefined;
    if (!database) return;
    cluster = await startTestCluster({ dbUrl: database.url, env: { AUTH_FAILURE_LIMIT: String(LIMIT), RPC_TIMEOUT_MS: '15000' } });
    const [tokenReplica, registryReplica] = await Promise.all([cluster.addReplica('token-service'), cluster.addReplica('application-registry')]);
    tokenUrls = [cluster.url('token-service', '/token'), `${tokenReplica.baseUrl}/token`];
    registryUrls = [cluster.url('application-registry'), registryReplica.baseUrl];
    await createUser(cluster, 'frank');
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    consumerKey = (await registry.generateKeys(await registry.createApplication('replicated', 'OAUTH'), ['client_credentials'])).consumerKey;
  });
  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  it('gives the limit of wrong consumer secrets and wrong passwords in all, however they are spread', async () => {
    if (!cluster) return;
    const secretAnswers: number[] = [];
    for (let guess = 0; guess < 4 * LIMIT; guess += 1) {
      const answer = await http(tokenUrls[guess % 2], {
        method: 'POST',
        headers: { Authorization: basicAuth(consumerKey, `guess-${guess}`), ...FORM },
        body: 'grant_type=client_credentials',
      });
      secretAnswers.push(answer.status);
    }
    expect(secretAnswers.filter((status) => status === 401)).toHaveLength(LIMIT);
    expect(secretAnswers.filter((status) => status === 429)).toHaveLength(3 * LIMIT);

    const passwordAnswers = await Promise.all(
      Array.from({ length: 4 * LIMIT }, (_, guess) =>
        http(`${registryUrls[guess % 2]}/api/am/devportal/v2/applications`, { headers: { Authorization: basicAuth('frank', `guess-${guess}`) } }),
      ),
    );
    expect(passwordAnswers.filter((answer) => answer.status === 401)).toHaveLength(LIMIT);
    expect(passwordAnswers.filter((answer) => answer.status === 429)).toHaveLength(3 * LIMIT);
  }, 60_000);
});

function password(username: string): string {
  return `${username}-password-1`;
}

async function createUser(cluster: TestCluster, username: string): Promise<void> {
  const created = await http(cluster.url('application-registry', '/api/am/admin/v2/users'), {
    method: 'POST',
    headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: password(username), roles: ['subscriber'] }),
  });
  expect(created.status).toBe(201);
}
