import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http, HttpResult } from './support/http';
import { postgresTestDatabase, TestDatabase } from './support/postgres';

const DEVPORTAL = '/api/am/devportal/v2/applications';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
/** How soon a revoked secret must be refused on every replica: the event's delivery, far below CLIENT_CACHE_TTL (300 s). */
const REVOCATION_BOUND_MS = 3000;

interface Key {
  applicationId: string;
  keyMappingId: string;
  consumerKey: string;
  consumerSecret: string;
}

/**
 * Several consumer secrets per key (docs/registry.md, "Consumer secrets"), on PostgreSQL with two
 * token-service replicas: any live secret gets tokens, a revoked one stops at once on every replica, an
 * expired one is refused, and a service rotates its secret under load without one failed request.
 */
describe('several consumer secrets per key', () => {
  let cluster: TestCluster | undefined;
  let database: TestDatabase | undefined;
  let tokenUrls: string[] = [];

  beforeAll(async () => {
    database = (await postgresTestDatabase()) ?? undefined;
    if (!database) return;
    // Reports of the secrets' last use every second (60 by default), so that lastUsedAt shows in the test's time.
    cluster = await startTestCluster({ dbUrl: database.url, env: { SECRET_USE_REPORT_INTERVAL: '1' } });
    const replica = await cluster.addReplica('token-service');
    tokenUrls = [cluster.url('token-service', '/token'), `${replica.baseUrl}/token`];
  });
  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  const skipped = () => {
    if (cluster) return false;
    console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the consumer-secrets run');
    return true;
  };

  const call = (method: string, path: string, body?: unknown, authorization = cluster!.adminAuthorization()) =>
    http(cluster!.url('application-registry', path), {
      method,
      headers: { Authorization: authorization, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const keyPath = (key: Key, tail: string) => `${DEVPORTAL}/${key.applicationId}/oauth-keys/${key.keyMappingId}/${tail}`;

  async function newKey(name: string, tokenType: 'JWT' | 'OAUTH' = 'JWT'): Promise<Key> {
    const application = await call('POST', DEVPORTAL, { name, throttlingPolicy: 'Unlimited', tokenType });
    expect(application.status).toBe(201);
    const applicationId = application.json<{ applicationId: string }>().applicationId;
    const keys = await call('POST', `${DEVPORTAL}/${applicationId}/generate-keys`, { keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'] });
    expect(keys.status).toBe(200);
    return { applicationId, ...keys.json<{ keyMappingId: string; consumerKey: string; consumerSecret: string }>() };
  }

  const addSecret = async (key: Key, body?: unknown) => call('POST', keyPath(key, 'generate-secret'), body);
  const token = (key: Key, secret: string, url = tokenUrls[0]) =>
    http(url, { method: 'POST', headers: { Authorization: basicAuth(key.consumerKey, secret), ...FORM }, body: 'grant_type=client_credentials' });
  const errorOf = (answer: HttpResult) => (answer.status === 200 ? 'ok' : answer.json<{ error: string }>().error);

  /** Asks until `expected` (each replica in turn), or gives up after `withinMs`: how long the change took to arrive. */
  async function until(ask: () => Promise<string>, expected: string, withinMs: number): Promise<string> {
    const deadline = Date.now() + withinMs;
    let last = await ask();
    while (last !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = await ask();
    }
    return last;
  }

  it('answers generate-secret, secrets and revoke-secret in their documented shapes, never listing a secret', async () => {
    if (skipped()) return;
    const key = await newKey('shapes');
    const added = await addSecret(key, { description: 'rotation 2026', expiresIn: 3600 });
    expect(added.status).toBe(201);
    const secret = added.json<{ secretId: string; consumerSecret: string; createdAt: string; expiresAt: string }>();
    expect(secret).toEqual({
      secretId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      consumerSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      description: 'rotation 2026',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      expiresAt: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(secret.expiresAt) - Date.parse(secret.createdAt)).toBe(3600_000);
    expect(added.headers.location).toBe(`${keyPath(key, 'secrets')}/${secret.secretId}`);
    const withoutBody = await addSecret(key);
    expect(withoutBody.status).toBe(201);
    expect(withoutBody.json()).toMatchObject({ description: '', expiresAt: null });

    const listed = await call('GET', keyPath(key, 'secrets'));
    expect(listed.status).toBe(200);
    const list = listed.json<{ count: number; list: Array<Record<string, unknown>> }>();
    expect(list.count).toBe(3);
    // The key's first secret (from generate-keys) comes first: the list is in order of creation.
    expect(list.list[1]).toEqual({
      secretId: secret.secretId,
      description: 'rotation 2026',
      createdAt: secret.createdAt,
      expiresAt: secret.expiresAt,
      lastUsedAt: null,
      status: 'ACTIVE',
    });
    expect(list.list[0]).toMatchObject({ description: '', expiresAt: null, status: 'ACTIVE' });
    expect(listed.body).not.toContain(secret.consumerSecret);
    expect(listed.body).not.toContain(key.consumerSecret);

    const revoked = await call('POST', keyPath(key, 'revoke-secret'), { secretId: secret.secretId });
    expect(revoked.status).toBe(204);
    expect(revoked.body).toBe('');
    // Revoked secrets are gone from the list (as in WSO2), and a second revocation finds nothing.
    expect((await call('GET', keyPath(key, 'secrets'))).json<{ count: number }>().count).toBe(2);
    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: secret.secretId })).status).toBe(404);
  });

  it('refuses bad input with 400, unknown keys and secrets with 404, a sixth secret and the last active one with 409', async () => {
    if (skipped()) return;
    const key = await newKey('limits');
    for (const body of [{ expiresIn: 0 }, { expiresIn: 'soon' }, { description: 'x'.repeat(256) }, { description: 42 }]) {
      const answer = await addSecret(key, body);
      expect(answer.status).toBe(400);
      expect(answer.json()).toMatchObject({ code: 400, description: expect.any(String) });
    }
    for (const body of [{}, { secretId: 42 }, { secretId: '' }]) expect((await call('POST', keyPath(key, 'revoke-secret'), body)).status).toBe(400);
    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: 'not-a-uuid' })).status).toBe(404);
    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    const elsewhere = { ...key, keyMappingId: '00000000-0000-4000-8000-000000000000' };
    expect((await addSecret(elsewhere)).status).toBe(404);
    expect((await call('GET', keyPath(elsewhere, 'secrets'))).status).toBe(404);

    // Another owner's key is not there for them.
    await call('POST', '/api/am/admin/v2/users', { username: 'mallory', password: 'mallory-password-1', roles: ['subscriber'] });
    const mallory = basicAuth('mallory', 'mallory-password-1');
    expect((await call('POST', keyPath(key, 'generate-secret'), {}, mallory)).status).toBe(404);
    expect((await call('GET', keyPath(key, 'secrets'), undefined, mallory)).status).toBe(404);
    const first = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string }> }>().list[0].secretId;
    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: first }, mallory)).status).toBe(404);

    // The key's only active secret: regenerate-secret replaces it, revoke-secret does not leave the key without one.
    const last = await call('POST', keyPath(key, 'revoke-secret'), { secretId: first });
    expect(last.status).toBe(409);
    expect(last.json<{ description: string }>().description).toContain('regenerate-secret');

    for (let added = 2; added <= 5; added += 1) expect((await addSecret(key, { description: `#${added}` })).status).toBe(201);
    const sixth = await addSecret(key);
    expect(sixth.status).toBe(409);
    expect(sixth.json<{ description: string }>().description).toContain('at most 5 secrets');
    expect((await call('GET', keyPath(key, 'secrets'))).json<{ count: number }>().count).toBe(5);
  });

  it('keeps the maximum and the last active secret under concurrent requests (PostgreSQL)', async () => {
    if (skipped()) return;
    const key = await newKey('concurrent');
    const adds = await Promise.all(Array.from({ length: 8 }, () => addSecret(key)));
    expect(adds.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 201, 409, 409, 409, 409]);
    const ids = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string }> }>().list.map((secret) => secret.secretId);
    expect(ids).toHaveLength(5);
    const revokes = await Promise.all(ids.map((secretId) => call('POST', keyPath(key, 'revoke-secret'), { secretId })));
    expect(revokes.map((answer) => answer.status).sort()).toEqual([204, 204, 204, 204, 409]);
    expect((await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ status: string }> }>().list).toEqual([expect.objectContaining({ status: 'ACTIVE' })]);
  });

  it('gets tokens with either of two secrets; a revoked one is refused on both replicas at once, while the other works and its tokens survive', async () => {
    if (skipped()) return;
    const key = await newKey('two-secrets');
    const second = (await addSecret(key, { description: 'new' })).json<{ secretId: string; consumerSecret: string }>();
    const first = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string }> }>().list[0].secretId;
    const tokens: string[] = [];
    for (const url of tokenUrls) {
      for (const secret of [key.consumerSecret, second.consumerSecret]) {
        const answer = await token(key, secret, url);
        expect(answer.status).toBe(200);
        tokens.push(answer.json<{ access_token: string }>().access_token);
      }
    }

    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: first })).status).toBe(204);
    const revokedAt = Date.now();
    for (const url of tokenUrls) expect(await until(async () => errorOf(await token(key, key.consumerSecret, url)), 'invalid_client', REVOCATION_BOUND_MS)).toBe('invalid_client');
    expect(Date.now() - revokedAt).toBeLessThan(REVOCATION_BOUND_MS);
    const refused = await token(key, key.consumerSecret, tokenUrls[1]);
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'invalid_client' });
    for (const url of tokenUrls) expect((await token(key, second.consumerSecret, url)).status).toBe(200);

    // Rotation is not an outage: the tokens obtained with the revoked secret stay active.
    const introspect = cluster!.url('token-service', '/introspect');
    for (const accessToken of tokens) {
      const answer = await http(introspect, { method: 'POST', headers: { Authorization: cluster!.adminAuthorization(), ...FORM }, body: `token=${accessToken}` });
      expect(answer.json()).toMatchObject({ active: true });
    }
  });

  it('refuses an expired secret with invalid_client and lists it as EXPIRED', async () => {
    if (skipped()) return;
    const key = await newKey('expiry');
    const shortLived = (await addSecret(key, { description: 'short', expiresIn: 1 })).json<{ secretId: string; consumerSecret: string }>();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    for (const url of tokenUrls) {
      const answer = await token(key, shortLived.consumerSecret, url);
      expect(answer.status).toBe(401);
      expect(answer.json()).toMatchObject({ error: 'invalid_client' });
    }
    expect((await token(key, key.consumerSecret)).status).toBe(200);
    const listed = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string; status: string }> }>().list;
    expect(listed.find((secret) => secret.secretId === shortLived.secretId)?.status).toBe('EXPIRED');
    // An expired secret may be revoked (it is not the key's last active one).
    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: shortLived.secretId })).status).toBe(204);
  });

  it('reports lastUsedAt in batches: a used secret gets one, an unused one stays null', async () => {
    if (skipped()) return;
    const key = await newKey('last-use');
    const unused = (await addSecret(key, { description: 'unused' })).json<{ secretId: string }>();
    const before = Date.now();
    for (const url of tokenUrls) expect((await token(key, key.consumerSecret, url)).status).toBe(200);
    const lastUse = async () => {
      const list = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string; lastUsedAt: string | null }> }>().list;
      return list.find((secret) => secret.secretId !== unused.secretId)?.lastUsedAt ?? 'null';
    };
    const deadline = Date.now() + 5000;
    let seen = await lastUse();
    while (seen === 'null' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      seen = await lastUse();
    }
    expect(Date.parse(seen)).toBeGreaterThanOrEqual(before);
    const list = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string; lastUsedAt: string | null }> }>().list;
    expect(list.find((secret) => secret.secretId === unused.secretId)?.lastUsedAt).toBeNull();
  });

  it('regenerate-secret keeps its meaning: one new secret, every other refused, the key’s tokens revoked', async () => {
    if (skipped()) return;
    const key = await newKey('regenerate');
    const second = (await addSecret(key)).json<{ consumerSecret: string }>();
    const before = (await token(key, second.consumerSecret)).json<{ access_token: string }>().access_token;
    const regenerated = await call('POST', keyPath(key, 'regenerate-secret'));
    expect(regenerated.status).toBe(200);
    const fresh = regenerated.json<{ consumerSecret: string }>().consumerSecret;
    const listed = (await call('GET', keyPath(key, 'secrets'))).json<{ count: number }>();
    expect(listed.count).toBe(1);
    for (const url of tokenUrls) {
      for (const old of [key.consumerSecret, second.consumerSecret]) {
        expect(await until(async () => errorOf(await token(key, old, url)), 'invalid_client', REVOCATION_BOUND_MS)).toBe('invalid_client');
      }
      expect((await token(key, fresh, url)).status).toBe(200);
    }
    const introspect = cluster!.url('token-service', '/introspect');
    const ask = async () =>
      String(
        (await http(introspect, { method: 'POST', headers: { Authorization: cluster!.adminAuthorization(), ...FORM }, body: `token=${before}` })).json<{ active: boolean }>()
          .active,
      );
    expect(await until(ask, 'false', 10_000)).toBe('false');
  });

  it('rotates a secret under load with zero failed requests: add the new secret, switch the load to it, revoke the old', async () => {
    if (skipped()) return;
    const key = await newKey('rotation', 'OAUTH');
    let secret = key.consumerSecret;
    let running = true;
    const failures: string[] = [];
    let served = 0;
    // A few services' worth of clients, each over both replicas, always with the secret it was last given.
    const loops = Array.from({ length: 4 }, async (_, loop) => {
      for (let request = 0; running; request += 1) {
        const answer = await token(key, secret, tokenUrls[(loop + request) % 2]);
        if (answer.status === 200) served += 1;
        else failures.push(`${answer.status} ${answer.body}`);
      }
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await pause(500);
    const oldSecretId = (await call('GET', keyPath(key, 'secrets'))).json<{ list: Array<{ secretId: string }> }>().list[0].secretId;
    const added = await addSecret(key, { description: 'next' });
    expect(added.status).toBe(201);
    await pause(500);
    // "Deploy": every client switches to the new secret (requests already under way finish with the old one).
    secret = added.json<{ consumerSecret: string }>().consumerSecret;
    await pause(500);
    expect((await call('POST', keyPath(key, 'revoke-secret'), { secretId: oldSecretId })).status).toBe(204);
    await pause(1000);
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(40);
    // And the old secret is indeed over.
    for (const url of tokenUrls) expect(errorOf(await token(key, key.consumerSecret, url))).toBe('invalid_client');
  });
});
