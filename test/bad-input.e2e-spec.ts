import fc from 'fast-check';
import { JSONCodec, NatsConnection } from 'nats';
import { ServiceName } from '@keymint/config';
import { BusUser, RPC_SUBJECTS } from '@keymint/contracts';
import { callerOf, plainConnectionAs } from './support/bus';
import { startTestCluster, TestCluster } from './support/cluster';
import { http, HttpResult } from './support/http';

/**
 * Property-based: random, malformed requests against every HTTP endpoint of
 * the three services, and random payloads on every RPC subject. Nothing
 * answers 5xx, every error has the service's documented JSON shape, no
 * service goes down, and a rejected request changes no state.
 */
interface Endpoint {
  service: ServiceName;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
}

const ENDPOINTS: Endpoint[] = [
  ...['/token', '/oauth2/token', '/revoke', '/oauth2/revoke', '/introspect', '/oauth2/introspect'].map(
    (path) => ({ service: 'token-service', method: 'POST', path }) as Endpoint,
  ),
  { service: 'token-service', method: 'GET', path: '/.well-known/oauth-authorization-server' },
  { service: 'token-service', method: 'GET', path: '/.well-known/oauth-authorization-server/{x}' },
  { service: 'token-service', method: 'GET', path: '/.well-known/openid-configuration/{x}' },
  { service: 'token-service', method: 'GET', path: '/oauth2/jwks' },
  { service: 'application-registry', method: 'POST', path: '/api/am/admin/v2/users' },
  { service: 'application-registry', method: 'GET', path: '/api/am/admin/v2/users/{x}' },
  { service: 'application-registry', method: 'PUT', path: '/api/am/admin/v2/users/{x}/password' },
  { service: 'application-registry', method: 'DELETE', path: '/api/am/admin/v2/users/{x}' },
  { service: 'application-registry', method: 'PUT', path: '/api/am/admin/v2/scopes/{x}' },
  { service: 'application-registry', method: 'DELETE', path: '/api/am/admin/v2/scopes/{x}' },
  { service: 'application-registry', method: 'GET', path: '/api/am/admin/v2/applications?query={x}&limit={x}&offset={x}' },
  { service: 'application-registry', method: 'GET', path: '/api/am/devportal/v2/applications?limit={x}&sortBy={x}&sortOrder={x}' },
  { service: 'application-registry', method: 'POST', path: '/api/am/devportal/v2/applications' },
  { service: 'application-registry', method: 'PUT', path: '/api/am/devportal/v2/applications/{x}' },
  { service: 'application-registry', method: 'DELETE', path: '/api/am/devportal/v2/applications/{x}' },
  { service: 'application-registry', method: 'POST', path: '/api/am/devportal/v2/applications/{x}/generate-keys' },
  { service: 'application-registry', method: 'PUT', path: '/api/am/devportal/v2/applications/{x}/oauth-keys/{x}' },
  { service: 'application-registry', method: 'POST', path: '/api/am/devportal/v2/applications/{x}/oauth-keys/{x}/regenerate-secret' },
  { service: 'application-registry', method: 'POST', path: '/api/am/devportal/v2/applications/{x}/oauth-keys/{x}/generate-token' },
  ...['summary', 'token-issuance', 'applications/registered-users', 'applications/{x}/users', 'top-users'].map(
    (path) =>
      ({
        service: 'analytics',
        method: 'GET',
        path: `/api/analytics/v1/${path}?from={x}&to={x}&granularity={x}&limit={x}&offset={x}&grantType={x}`,
      }) as Endpoint,
  ),
];

const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', ''];

const anyText = fc.oneof(fc.string(), fc.fullUnicodeString({ maxLength: 40 }), fc.constantFrom('', '-1', '0', '1e309', 'null', '../../etc', '%', '%ZZ', ' '));
const anyBody = fc.oneof(
  fc.json().map((value) => value),
  fc.dictionary(fc.constantFrom('grant_type', 'scope', 'token', 'validity_period', 'name', 'username', 'password', 'roles', 'keyType', 'tokenType', 'client_id'), anyText).map((record) =>
    new URLSearchParams(record).toString(),
  ),
  fc.object().map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
);

function isDocumentedError(service: ServiceName, result: HttpResult): boolean {
  let body: Record<string, unknown>;
  try {
    body = result.json();
  } catch {
    return false;
  }
  if (service === 'token-service') return typeof body.error === 'string' && typeof body.error_description === 'string';
  return typeof body.code === 'number' && typeof body.message === 'string' && typeof body.description === 'string';
}

describe('malformed input everywhere', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(() => cluster?.stop());

  /** What an admin sees: rejected requests must leave it unchanged. */
  async function state(): Promise<string> {
    const admin = { Authorization: cluster.adminAuthorization() };
    const parts = await Promise.all(
      ['/api/am/admin/v2/users', '/api/am/admin/v2/scopes', '/api/am/admin/v2/applications?limit=100'].map((path) =>
        http(cluster.url('application-registry', path), { headers: admin }).then((result) => result.body),
      ),
    );
    return parts.join('\n');
  }

  it('never answers 5xx, always with the documented error shape, and changes nothing when it says no', async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        fc.array(anyText, { minLength: 6, maxLength: 6 }),
        fc.constantFrom(...CONTENT_TYPES),
        // Mostly the admin, so requests get past authentication and reach the input checks.
        fc.oneof(
          { arbitrary: fc.constant('admin'), weight: 6 },
          { arbitrary: fc.constant(undefined), weight: 1 },
          { arbitrary: anyText.map((text) => `Basic ${Buffer.from(text).toString('base64')}`), weight: 1 },
          { arbitrary: anyText.map((text) => `Bearer ${text}`), weight: 1 },
          { arbitrary: anyText, weight: 1 },
        ),
        anyBody,
        async (endpoint, values, contentType, authorization, body) => {
          let index = 0;
          const path = endpoint.path.replace(/\{x\}/g, () => encodeURIComponent(values[index++ % values.length]));
          const headers: Record<string, string> = {};
          if (contentType) headers['Content-Type'] = contentType;
          if (authorization === 'admin') headers.Authorization = cluster.adminAuthorization();
          else if (authorization !== undefined) headers.Authorization = authorization.replace(/[^\t\x20-\x7e]/g, '');
          const before = endpoint.method === 'GET' ? '' : await state();
          const result = await http(cluster.url(endpoint.service, path), {
            method: endpoint.method,
            headers,
            body: endpoint.method === 'GET' ? undefined : body,
          });
          seen[String(result.status)] = (seen[String(result.status)] ?? 0) + 1;
          expect(result.status).toBeLessThan(500);
          if (result.status >= 400) {
            if (!isDocumentedError(endpoint.service, result)) {
              throw new Error(`${endpoint.method} ${path} answered ${result.status} ${result.headers['content-type']}: ${result.body.slice(0, 300)}`);
            }
            if (endpoint.method !== 'GET') expect(await state()).toBe(before);
          }
        },
      ),
      { numRuns: 1000, seed: 20261125 },
    );
    console.log(`bad-input statuses: ${JSON.stringify(seen)}`);
    for (const name of ['token-service', 'application-registry', 'analytics'] as const) {
      expect((await http(cluster.url(name, '/health'))).status).toBe(200);
    }
  }, 300_000);

  it('answers every RPC subject with a reply or a typed error, whatever the payload', async () => {
    // Each subject is called by a service allowed to call it (the bus refuses everyone else).
    const callers = new Map<BusUser, NatsConnection>();
    for (const subject of Object.values(RPC_SUBJECTS)) {
      const caller = callerOf(subject);
      if (!callers.has(caller)) callers.set(caller, await plainConnectionAs(cluster, caller, `bad-input-${caller}`));
    }
    const codec = JSONCodec();
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.values(RPC_SUBJECTS)), fc.jsonValue(), async (subject, data) => {
          // Nest's NATS wire format: {pattern, data, id} in, {id, response | err, isDisposed} out.
          const reply = await callers.get(callerOf(subject))!.request(subject, codec.encode({ pattern: subject, data, id: 'fuzz' }), { timeout: 5000 });
          const decoded = codec.decode(reply.data) as { err?: { code?: unknown; message?: unknown }; response?: unknown };
          if (decoded.err !== undefined && decoded.err !== null) {
            expect(typeof decoded.err.code).toBe('string');
            expect(decoded.err.code).not.toBe('internal');
          }
        }),
        { numRuns: 200, seed: 20261125 },
      );
    } finally {
      for (const connection of callers.values()) await connection.close();
    }
    for (const name of ['token-service', 'application-registry', 'analytics'] as const) {
      expect((await http(cluster.url(name, '/health'))).status).toBe(200);
    }
  }, 120_000);
});
