import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http, HttpResult } from './support/http';
import { postgresTestDatabase, TestDatabase } from './support/postgres';

/**
 * Tokens follow the user (issue 21), played by an attacker who holds a
 * user's tokens: after the user's password changes, a role is taken away
 * or the user is deleted, the refresh token gets `invalid_grant` and the
 * access tokens introspect inactive, on every key and on every token
 * replica; a refresh gets only what the key allows now; a scope bound to
 * no role is granted to users. On SQLite (one token service), and on
 * PostgreSQL with two token-service replicas when it is reachable.
 */
describe.each([
  ['SQLite, one token service', false],
  ['PostgreSQL, two token-service replicas', true],
])('tokens follow the user (%s)', (_label, scaledOut) => {
  let cluster: TestCluster | undefined;
  let database: TestDatabase | undefined;
  /** /token of each token-service replica. */
  let tokenServices: string[] = [];
  const keys: Array<{ applicationId: string; keyMappingId: string; authorization: string }> = [];
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const admin = () => cluster!.adminAuthorization();
  const registry = (path: string) => cluster!.url('application-registry', path);

  async function asAdmin(method: string, path: string, body?: unknown): Promise<HttpResult> {
    return http(registry(path), {
      method,
      headers: { Authorization: admin(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function token(service: string, authorization: string, parameters: Record<string, string>): Promise<HttpResult> {
    return http(`${service}/token`, { method: 'POST', headers: { Authorization: authorization, ...form }, body: new URLSearchParams(parameters).toString() });
  }

  const signIn = (key: number, username: string, password: string, scope = 'orders:read catalog:read') =>
    token(tokenServices[0], keys[key].authorization, { grant_type: 'password', username, password, scope });
  const refresh = (key: number, refreshToken: string, service = tokenServices[0]) =>
    token(service, keys[key].authorization, { grant_type: 'refresh_token', refresh_token: refreshToken });

  /** Whether a token is active, asked of one replica with the admin's credentials (which see every token). */
  async function active(service: string, accessToken: string): Promise<boolean> {
    const answer = await http(`${service}/oauth2/introspect`, {
      method: 'POST',
      headers: { Authorization: admin(), ...form },
      body: `token=${encodeURIComponent(accessToken)}`,
    });
    expect(answer.status).toBe(200);
    return answer.json<{ active: boolean }>().active;
  }

  /** Each access token's state on each replica, once the revocation had time to land (or 10 s went by). */
  async function statesAfterRevocation(accessTokens: string[]): Promise<boolean[]> {
    const states = () => Promise.all(tokenServices.flatMap((service) => accessTokens.map((accessToken) => active(service, accessToken))));
    const deadline = Date.now() + 10_000;
    let last = await states();
    while (last.some(Boolean) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await states();
    }
    return last;
  }

  /** A user signed in on both keys: their tokens. */
  async function signedInEverywhere(username: string, password: string): Promise<Array<{ access_token: string; refresh_token: string; scope: string }>> {
    const sessions = [await signIn(0, username, password), await signIn(1, username, password)];
    for (const session of sessions) expect(session.status).toBe(200);
    return sessions.map((session) => session.json());
  }

  /** The refresh of every session on every replica: all must fail. */
  async function refreshesEverywhere(sessions: Array<{ refresh_token: string }>): Promise<Array<{ status: number; error?: string }>> {
    const answers: Array<{ status: number; error?: string }> = [];
    for (const service of tokenServices) {
      for (const [key, session] of sessions.entries()) {
        const answer = await refresh(key, session.refresh_token, service);
        answers.push({ status: answer.status, error: answer.json<{ error?: string }>().error });
      }
    }
    return answers;
  }

  const refused = (count: number) => Array.from({ length: count }, () => ({ status: 400, error: 'invalid_grant' }));

  beforeAll(async () => {
    if (scaledOut) {
      database = (await postgresTestDatabase()) ?? undefined;
      if (!database) return;
    }
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'], ...(database ? { dbUrl: database.url } : {}) });
    tokenServices = [cluster.url('token-service')];
    if (scaledOut) tokenServices.push((await cluster.addReplica('token-service')).baseUrl);

    // orders:read is for subscribers (and admins: the applications' owner must hold one of its roles); catalog:read for everybody.
    expect((await asAdmin('PUT', '/api/am/admin/v2/scopes/orders:read', { bindings: ['subscriber', 'admin'] })).status).toBe(201);
    expect((await asAdmin('PUT', '/api/am/admin/v2/scopes/catalog:read', { bindings: [] })).status).toBe(201);
    for (const name of ['shop', 'warehouse']) {
      const application = await asAdmin('POST', '/api/am/devportal/v2/applications', { name, tokenType: name === 'shop' ? 'JWT' : 'OAUTH' });
      const applicationId = application.json<{ applicationId: string }>().applicationId;
      const generated = await asAdmin('POST', `/api/am/devportal/v2/applications/${applicationId}/generate-keys`, {
        keyType: 'PRODUCTION',
        grantTypesToBeSupported: ['password', 'refresh_token'],
        scopes: ['orders:read', 'catalog:read'],
      });
      expect(generated.status).toBe(200);
      const { keyMappingId, consumerKey, consumerSecret } = generated.json<{ keyMappingId: string; consumerKey: string; consumerSecret: string }>();
      keys.push({ applicationId, keyMappingId, authorization: basicAuth(consumerKey, consumerSecret) });
    }
    for (const username of ['pat', 'ron', 'dee', 'kim']) {
      const created = await asAdmin('POST', '/api/am/admin/v2/users', { username, password: `${username}-password-1`, roles: ['subscriber'] });
      expect(created.status).toBe(201);
    }
    expect((await asAdmin('POST', '/api/am/admin/v2/users', { username: 'una', password: 'una-password-1', roles: [] })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  const skipped = () => {
    if (cluster) return false;
    console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the run with two token-service replicas');
    return true;
  };

  it("ends every token of a user whose password changed, on every key and every replica; the new password signs in", async () => {
    if (skipped()) return;
    const sessions = await signedInEverywhere('pat', 'pat-password-1');
    expect((await asAdmin('PUT', '/api/am/admin/v2/users/pat/password', { password: 'pat-password-2' })).status).toBe(200);

    expect(await statesAfterRevocation(sessions.map((session) => session.access_token))).toEqual(tokenServices.flatMap(() => [false, false]));
    expect(await refreshesEverywhere(sessions)).toEqual(refused(2 * tokenServices.length));
    expect((await signIn(0, 'pat', 'pat-password-2')).status).toBe(200);
  });

  it('ends every token of a user who lost a role, but not of one who was given a role', async () => {
    if (skipped()) return;
    const sessions = await signedInEverywhere('ron', 'ron-password-1');
    // A role given takes nothing away: the tokens stay.
    expect((await asAdmin('PUT', '/api/am/admin/v2/users/ron/roles', { roles: ['subscriber', 'admin'] })).status).toBe(200);
    const given = await refresh(0, sessions[0].refresh_token);
    expect(given.status).toBe(200);
    sessions[0] = given.json();

    const removed = await asAdmin('PUT', '/api/am/admin/v2/users/ron/roles', { roles: ['admin'] });
    expect(removed.json()).toMatchObject({ username: 'ron', roles: ['admin'] });
    expect(await statesAfterRevocation(sessions.map((session) => session.access_token))).toEqual(tokenServices.flatMap(() => [false, false]));
    expect(await refreshesEverywhere(sessions)).toEqual(refused(2 * tokenServices.length));
  });

  it('ends every token of a deleted user', async () => {
    if (skipped()) return;
    const sessions = await signedInEverywhere('dee', 'dee-password-1');
    expect((await asAdmin('DELETE', '/api/am/admin/v2/users/dee')).status).toBe(200);

    expect(await statesAfterRevocation(sessions.map((session) => session.access_token))).toEqual(tokenServices.flatMap(() => [false, false]));
    expect(await refreshesEverywhere(sessions)).toEqual(refused(2 * tokenServices.length));
  });

  it("gives a refresh only the scopes the key allows now, and nothing once the key no longer allows refresh_token", async () => {
    if (skipped()) return;
    const [session] = await signedInEverywhere('kim', 'kim-password-1');
    expect(session.scope).toBe('catalog:read orders:read');
    const key = `/api/am/devportal/v2/applications/${keys[0].applicationId}/oauth-keys/${keys[0].keyMappingId}`;
    expect((await asAdmin('PUT', key, { scopes: ['catalog:read'] })).status).toBe(200);

    // Each replica learns of the change from registry.keys.updated.v1; until then a refresh sees the old key.
    let refreshToken = session.refresh_token;
    let scope = session.scope;
    for (let attempt = 0; attempt < 50 && scope.includes('orders:read'); attempt += 1) {
      const answer = await refresh(0, refreshToken, tokenServices[attempt % tokenServices.length]);
      expect(answer.status).toBe(200);
      ({ refresh_token: refreshToken, scope } = answer.json<{ refresh_token: string; scope: string }>());
      if (scope.includes('orders:read')) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(scope).toBe('catalog:read');
    // And on every replica.
    for (const service of tokenServices) {
      const answer = await refresh(0, refreshToken, service);
      expect(answer.json()).toMatchObject({ scope: 'catalog:read' });
      refreshToken = answer.json<{ refresh_token: string }>().refresh_token;
    }

    expect((await asAdmin('PUT', key, { supportedGrantTypes: ['password'] })).status).toBe(200);
    let error: string | undefined;
    for (let attempt = 0; attempt < 50 && error === undefined; attempt += 1) {
      const answer = await refresh(0, refreshToken, tokenServices[attempt % tokenServices.length]);
      if (answer.status === 200) {
        refreshToken = answer.json<{ refresh_token: string }>().refresh_token;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } else {
        error = answer.json<{ error: string }>().error;
      }
    }
    // RFC 6749 §5.2: the client may no longer use this grant type.
    expect(error).toBe('unauthorized_client');
  });

  it('grants a scope bound to no role to a user with no role', async () => {
    if (skipped()) return;
    const session = await signIn(1, 'una', 'una-password-1');
    expect(session.json()).toMatchObject({ scope: 'catalog:read' });
  });
});
