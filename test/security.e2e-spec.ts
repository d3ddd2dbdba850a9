import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http, HttpResult } from './support/http';
import { storeContents } from './support/store';

/**
 * Issue 7's security promises, checked from outside after a realistic run:
 * no secret, password or token in any log line or in any database file (only
 * hashes at rest); HTTPS carries the security headers; a revoked or foreign
 * token gets nothing anywhere; a subscriber reaches neither admin APIs nor
 * another owner's data.
 */
describe('security', () => {
  let cluster: TestCluster;
  const secrets: string[] = [];
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const tokenUrl = (path: string) => cluster.url('token-service', path);
  const devportal = (path: string) => cluster.url('application-registry', `/api/am/devportal/v2${path}`);

  beforeAll(async () => {
    cluster = await startTestCluster();
    secrets.push(cluster.admin.password);
  });
  afterAll(() => cluster?.stop());

  async function asJson(method: string, url: string, authorization: string, body?: unknown) {
    return http(url, {
      method,
      headers: { Authorization: authorization, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  it('keeps secrets out of logs and stores only hashes, through a whole developer and user journey', async () => {
    const admin = cluster.adminAuthorization();
    const users = cluster.url('application-registry', '/api/am/admin/v2/users');
    expect((await asJson('POST', users, admin, { username: 'sam', password: 'sam-secret-password-1', roles: ['subscriber'] })).status).toBe(201);
    expect((await asJson('POST', users, admin, { username: 'eve', password: 'eve-secret-password-1', roles: ['subscriber'] })).status).toBe(201);
    expect((await asJson('POST', users, admin, { username: 'una', password: 'una-secret-password-1', roles: [] })).status).toBe(201);
    secrets.push('sam-secret-password-1', 'eve-secret-password-1', 'una-secret-password-1');
    const sam = basicAuth('sam', 'sam-secret-password-1');

    const app = await asJson('POST', devportal('/applications'), sam, { name: 'sams-app', tokenType: 'OAUTH' });
    expect(app.status).toBe(201);
    const applicationId = app.json().applicationId as string;
    const keys = await asJson('POST', devportal(`/applications/${applicationId}/generate-keys`), sam, {
      keyType: 'PRODUCTION',
      grantTypesToBeSupported: ['client_credentials', 'password', 'refresh_token'],
    });
    expect(keys.status).toBe(200);
    const { consumerKey, consumerSecret, keyMappingId } = keys.json<{ consumerKey: string; consumerSecret: string; keyMappingId: string }>();
    secrets.push(consumerSecret);
    const client = basicAuth(consumerKey, consumerSecret);

    const cc = await http(tokenUrl('/token'), { method: 'POST', headers: { Authorization: client, ...form }, body: 'grant_type=client_credentials' });
    const user = await http(tokenUrl('/oauth2/token'), {
      method: 'POST',
      headers: { Authorization: client, ...form },
      body: 'grant_type=password&username=una&password=una-secret-password-1',
    });
    expect([cc.status, user.status]).toEqual([200, 200]);
    const refreshed = await http(tokenUrl('/token'), {
      method: 'POST',
      headers: { Authorization: client, ...form },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(user.json().refresh_token as string)}`,
    });
    expect(refreshed.status).toBe(200);
    secrets.push(
      cc.json().access_token as string,
      user.json().access_token as string,
      user.json().refresh_token as string,
      refreshed.json().access_token as string,
      refreshed.json().refresh_token as string,
    );
    const generated = await asJson('POST', devportal(`/applications/${applicationId}/oauth-keys/${keyMappingId}/generate-token`), sam, {
      consumerSecret,
      validityPeriod: 600,
    });
    expect(generated.status).toBe(200);
    secrets.push(generated.json().accessToken as string);
    // A failed login and a wrong secret must not be logged either.
    await http(tokenUrl('/token'), { method: 'POST', headers: { Authorization: basicAuth(consumerKey, 'wrong-secret-value-123'), ...form }, body: 'grant_type=client_credentials' });
    secrets.push('wrong-secret-value-123');
    const regenerated = await asJson('POST', devportal(`/applications/${applicationId}/oauth-keys/${keyMappingId}/regenerate-secret`), sam);
    expect(regenerated.status).toBe(200);
    secrets.push(regenerated.json().consumerSecret as string);

    // Give the services a moment to write what they write (events, logs).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const places: Array<[string, string]> = [
      ...readdirSync(join(cluster.dataDir, 'logs')).map((file): [string, string] => [file, readFileSync(join(cluster.dataDir, 'logs', file), 'utf8')]),
      ['nats.log', readFileSync(join(cluster.dataDir, 'nats.log'), 'utf8')],
    ];
    for (const store of ['token', 'registry', 'analytics'] as const) {
      const contents = await storeContents(cluster, store);
      // Something was read: the store holds this run's consumer key (keys are not secret).
      if (store !== 'analytics') expect(contents).toContain(consumerKey);
      places.push([`${store} store`, contents]);
    }
    const leaks = places.flatMap(([place, content]) =>
      secrets.filter((secret) => content.includes(secret)).map((secret) => `${place}: ${secret.slice(0, 6)}…`),
    );
    expect(leaks).toEqual([]);

    // The regenerated secret ended every token of the key: they get nothing anywhere.
    const revoked = cc.json().access_token as string;
    const introspection = await http(tokenUrl('/oauth2/introspect'), {
      method: 'POST',
      headers: { Authorization: admin, ...form },
      body: `token=${encodeURIComponent(revoked)}`,
    });
    expect(introspection.json()).toEqual({ active: false });
  });

  it('keeps a subscriber out of admin APIs and out of another owner\'s applications', async () => {
    const eve = basicAuth('eve', 'eve-secret-password-1');
    const sam = basicAuth('sam', 'sam-secret-password-1');
    const samsApps = await asJson('GET', devportal('/applications'), sam);
    const samsApp = (samsApps.json<{ list: Array<{ applicationId: string }> }>().list[0]).applicationId;
    expect((await asJson('GET', devportal(`/applications/${samsApp}`), eve)).status).toBe(404);
    expect((await asJson('DELETE', devportal(`/applications/${samsApp}`), eve)).status).toBe(404);
    expect((await asJson('GET', cluster.url('application-registry', '/api/am/admin/v2/users'), eve)).status).toBe(403);
    expect((await asJson('GET', cluster.url('analytics', '/api/analytics/v1/summary'), eve)).status).toBe(403);
    expect((await asJson('GET', devportal(`/applications/${samsApp}`), sam)).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy: a guesser cannot take a fresh sign-in budget per header', async () => {
    const statuses: number[] = [];
    for (let guess = 0; guess <= 10; guess += 1) {
      const answer = await http(devportal('/applications'), {
        headers: { Authorization: basicAuth('una', `guess-${guess}`), 'X-Forwarded-For': `203.0.113.${guess + 1}` },
      });
      statuses.push(answer.status);
    }
    // AUTH_FAILURE_LIMIT's default: ten checks, then 429 whatever address the header claims.
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });

  it('gives a revoked or made-up Bearer token nothing on the REST APIs', async () => {
    for (const token of ['made-up-token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.']) {
      const headers = `Bearer ${token}`;
      expect((await asJson('GET', devportal('/applications'), headers)).status).toBe(401);
      expect((await asJson('GET', cluster.url('analytics', '/api/analytics/v1/summary'), headers)).status).toBe(401);
    }
  });

  it('takes only access tokens as Bearer credentials at the registry and analytics, never a refresh token', async () => {
    const admin = cluster.adminAuthorization();
    const app = await asJson('POST', devportal('/applications'), admin, { name: 'bearer-kinds-app', tokenType: 'OAUTH' });
    const keys = await asJson('POST', devportal(`/applications/${app.json().applicationId as string}/generate-keys`), admin, {
      keyType: 'PRODUCTION',
      grantTypesToBeSupported: ['password', 'refresh_token'],
    });
    const { consumerKey, consumerSecret } = keys.json<{ consumerKey: string; consumerSecret: string }>();
    secrets.push(consumerSecret);
    const tokens = await http(tokenUrl('/token'), {
      method: 'POST',
      headers: { Authorization: basicAuth(consumerKey, consumerSecret), ...form },
      body: `grant_type=password&username=${cluster.admin.username}&password=${encodeURIComponent(cluster.admin.password)}`,
    });
    const { access_token: accessToken, refresh_token: refreshToken } = tokens.json<{ access_token: string; refresh_token: string }>();
    secrets.push(accessToken, refreshToken);
    for (const url of [devportal('/applications'), cluster.url('analytics', '/api/analytics/v1/summary')]) {
      expect((await asJson('GET', url, `Bearer ${accessToken}`)).status).not.toBe(401);
      expect((await asJson('GET', url, `Bearer ${refreshToken}`)).status).toBe(401);
    }
  });

  /** One request over HTTPS (the services' self-signed certificate), for what only HTTPS answers carry. */
  function overHttps(
    service: 'token-service' | 'application-registry' | 'analytics',
    path: string,
    options: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        { host: '127.0.0.1', port: cluster.httpsPort(service), path, method: options.method ?? 'GET', rejectUnauthorized: false, headers: options.headers },
        (reply) => {
          reply.resume();
          resolve({ status: reply.statusCode ?? 0, headers: reply.headers });
        },
      );
      request.on('error', reject);
      request.end(options.body);
    });
  }

  it('serves the token endpoint over HTTPS with no-store, the security headers and HSTS', async () => {
    const response = await overHttps('token-service', '/token', { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
    expect(response.status).toBe(401);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'x-xss-protection': '1; mode=block',
      'www-authenticate': 'Basic realm="keymint"',
    });
    expect(String(response.headers['strict-transport-security'])).toMatch(/max-age=\d+/);
  });

  it('keeps answers with a consumer secret or a token out of caches, and sends HSTS on every HTTPS answer, in every service', async () => {
    const admin = cluster.adminAuthorization();
    const app = await asJson('POST', devportal('/applications'), admin, { name: 'no-store-app', tokenType: 'OAUTH' });
    const applicationId = app.json().applicationId as string;
    const keys = await asJson('POST', devportal(`/applications/${applicationId}/generate-keys`), admin, { keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'] });
    const { keyMappingId, consumerSecret } = keys.json<{ keyMappingId: string; consumerSecret: string }>();
    const regenerated = await asJson('POST', devportal(`/applications/${applicationId}/oauth-keys/${keyMappingId}/regenerate-secret`), admin);
    const token = await asJson('POST', devportal(`/applications/${applicationId}/oauth-keys/${keyMappingId}/generate-token`), admin, {
      consumerSecret: regenerated.json().consumerSecret,
    });
    const added = await asJson('POST', devportal(`/applications/${applicationId}/oauth-keys/${keyMappingId}/generate-secret`), admin, {});
    expect(added.status).toBe(201);
    secrets.push(consumerSecret, regenerated.json().consumerSecret as string, added.json().consumerSecret as string);
    for (const answer of [keys, regenerated, token, added]) {
      expect(answer.status).toBe(added === answer ? 201 : 200);
      expect([answer.headers['cache-control'], answer.headers.pragma]).toEqual(['no-store', 'no-cache']);
    }
    const overTls = [
      await overHttps('application-registry', `/api/am/devportal/v2/applications/${applicationId}`, { headers: { Authorization: admin } }),
      await overHttps('analytics', '/api/analytics/v1/summary', { headers: { Authorization: admin } }),
      await overHttps('application-registry', '/devportal'),
      await overHttps('token-service', '/no-such-path'),
    ];
    for (const answer of overTls) expect(String(answer.headers['strict-transport-security'])).toMatch(/^max-age=31536000/);
    expect(overTls[1].headers['cache-control']).toBe('no-store');
    // Plain HTTP carries no HSTS (a browser ignores it there, RFC 6797 §8.1).
    expect((await http(cluster.url('analytics', '/health'))).headers['strict-transport-security']).toBeUndefined();
  });

  it('refuses a flood of wrong passwords with 503 and Retry-After once the password checks in progress are at their cap, at the registry, analytics and the password grant', async () => {
    const admin = cluster.adminAuthorization();
    const app = await asJson('POST', devportal('/applications'), admin, { name: 'flood-app', tokenType: 'OAUTH' });
    const keys = await asJson('POST', devportal(`/applications/${app.json().applicationId as string}/generate-keys`), admin, {
      keyType: 'PRODUCTION',
      grantTypesToBeSupported: ['password'],
    });
    const { consumerKey, consumerSecret } = keys.json<{ consumerKey: string; consumerSecret: string }>();
    secrets.push(consumerSecret);

    // 30 guesses at once on each door, each for another username (a spray: every one passes the per-user sign-in
    // limit, and an unknown user costs a hash like a known one): a few are checked (401 / invalid_grant), the rest
    // refused at once, none fails.
    const flood = (send: (index: number) => Promise<HttpResult>) => Promise.all(Array.from({ length: 30 }, (_, index) => send(index)));
    const registry = await flood((index) => http(devportal('/applications'), { headers: { Authorization: basicAuth(`sprayed-r${index}`, 'guess') } }));
    const analytics = await flood((index) =>
      http(cluster.url('analytics', '/api/analytics/v1/summary'), { headers: { Authorization: basicAuth(`sprayed-a${index}`, 'guess') } }),
    );
    const grant = await flood((index) =>
      http(tokenUrl('/token'), {
        method: 'POST',
        headers: { Authorization: basicAuth(consumerKey, consumerSecret), ...form },
        body: `grant_type=password&username=sprayed-g${index}&password=guess`,
      }),
    );
    for (const [door, answers, checked] of [
      ['registry', registry, 401],
      ['analytics', analytics, 401],
      ['password grant', grant, 400],
    ] as const) {
      const statuses = answers.map((answer) => answer.status);
      expect({ door, unexpected: statuses.filter((status) => ![checked, 503].includes(status)) }).toEqual({ door, unexpected: [] });
      const refused = answers.filter((answer) => answer.status === 503);
      expect({ door, refused: refused.length > 0 }).toEqual({ door, refused: true });
      for (const answer of refused) {
        expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(answer.json()).toEqual(
          door === 'password grant'
            ? { error: 'temporarily_unavailable', error_description: expect.any(String) }
            : { code: 503, message: 'Service Unavailable', description: expect.any(String) },
        );
      }
    }
    // The registry kept serving everybody else.
    expect((await http(cluster.url('application-registry', '/health'))).status).toBe(200);
    expect((await http(devportal('/applications'), { headers: { Authorization: admin } })).status).toBe(200);
  });

  it('cuts off a client that never finishes its headers (slowloris), and keeps serving others', async () => {
    const started = Date.now();
    const closed = new Promise<{ answer: string; seconds: number }>((resolve, reject) => {
      let answer = '';
      const socket = connect(Number(new URL(cluster.url('token-service')).port), '127.0.0.1', () => {
        socket.write('POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n');
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('close', () => resolve({ answer, seconds: (Date.now() - started) / 1000 }));
      socket.on('error', reject);
    });
    // Meanwhile everybody else is served as usual.
    expect((await http(tokenUrl('/.well-known/oauth-authorization-server'))).status).toBe(200);
    const { answer, seconds } = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(seconds).toBeGreaterThanOrEqual(9);
    expect(seconds).toBeLessThan(15);
  }, 30_000);
});
