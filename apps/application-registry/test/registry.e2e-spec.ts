import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod/v4';
import { RpcError } from '@keymint/messaging';
import { startTestCluster, TestCluster } from '../../../test/support/cluster';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { ApplicationListSchema, ApplicationSchema } from '../src/applications/application-view';
import { ApplicationKeyListSchema, GeneratedApplicationKeySchema } from '../src/keys/key-view';
import { ScopeListSchema } from '../src/scopes/dto/scope.dto';
import { UserListSchema } from '../src/users/dto/user.dto';
import { basic, RegistryClient } from './registry-client';

const DEVPORTAL = '/api/am/devportal/v2';
const ADMIN = '/api/am/admin/v2';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const errorShape = { code: expect.any(Number), message: expect.any(String), description: expect.any(String) };
/** The answer is what the OpenAPI documents say it is: the response schema accepts it as it is. */
const expectDocumented = (schema: z.ZodType, body: unknown) => expect(schema.parse(body)).toEqual(body);

describe('application registry (SQLite)', () => {
  let cluster: TestCluster;
  let client: RegistryClient;
  let admin: string;
  const alice = basic('Alice', 'alice-password-1');
  const bob = basic('bob', 'bob-password-1');

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['application-registry'] });
    client = await RegistryClient.open(cluster);
    admin = cluster.adminAuthorization();
    for (const [username, password] of [
      ['Alice', 'alice-password-1'],
      ['bob', 'bob-password-1'],
    ]) {
      const created = await client.call('POST', `${ADMIN}/users`, { auth: admin, body: { username, password, roles: ['subscriber'] } });
      expect(created.status).toBe(201);
    }
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('bootstraps the admin from ADMIN_PASSWORD and guards the APIs with Basic auth', async () => {
    expect(existsSync(join(cluster.dataDir, 'admin-credentials'))).toBe(false);
    const events = await client.events();
    expect(events[0]).toMatchObject({ subject: 'registry.user.created.v1', event: { username: 'admin', roles: ['admin'] } });

    const anonymous = await client.call('GET', `${ADMIN}/users`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="keymint"');
    expect(anonymous.body).toEqual({ ...errorShape, code: 401 });
    const wrong = await client.call('GET', `${DEVPORTAL}/applications`, { auth: basic('admin', 'not-the-password') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="keymint"');
    const subscriberOnAdmin = await client.call('GET', `${ADMIN}/users`, { auth: alice });
    expect(subscriberOnAdmin.status).toBe(403);
    expect(subscriberOnAdmin.body).toEqual({ ...errorShape, code: 403 });
    // The API descriptions are public, like WSO2's.
    const devportalDocument = await client.call('GET', `${DEVPORTAL}/openapi.json`);
    expect(devportalDocument.status).toBe(200);
    expect(devportalDocument.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: DEVPORTAL }] });
    expect(Object.keys(devportalDocument.body.paths)).toContain('/applications/{applicationId}/generate-keys');
    expect(Object.keys((await client.call('GET', `${ADMIN}/openapi.json`)).body.paths)).toEqual(
      expect.arrayContaining(['/users/{username}/password', '/users/{username}/roles']),
    );
    const scopes = await client.call('GET', `${ADMIN}/scopes`, { auth: admin });
    expectDocumented(ScopeListSchema, scopes.body);
    expect(scopes.body).toEqual({
      count: 2,
      list: [
        { name: 'apim:admin', description: expect.any(String), bindings: ['admin'] },
        { name: 'apim:subscribe', description: expect.any(String), bindings: ['admin', 'subscriber'] },
      ],
    });
  });

  it('manages users: case-insensitive names, password rules, password change, roles and deletion', async () => {
    const { result: created, event } = await client.expectOneEvent('registry.user.created.v1', () =>
      client.call('POST', `${ADMIN}/users`, { auth: admin, body: { username: 'Carol.Q', password: 'carol-pass-1' } }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${ADMIN}/users/carol.q`);
    expect(created.body).toEqual({ userId: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'carol.q', roles: [] });
    expect(event).toMatchObject({ username: 'carol.q', roles: [], eventId: expect.any(String), occurredAt: expect.any(String) });

    expect((await client.call('POST', `${ADMIN}/users`, { auth: admin, body: { username: 'CAROL.q', password: 'another-pass' } })).status).toBe(409);
    const weak = await client.call('POST', `${ADMIN}/users`, { auth: admin, body: { username: 'dave', password: 'short' } });
    expect(weak).toMatchObject({ status: 400, body: { code: 400, description: "'password' must be 8 to 128 characters long." } });
    const badRole = await client.call('POST', `${ADMIN}/users`, { auth: admin, body: { username: 'dave', password: 'long-enough', roles: ['root'] } });
    expect(badRole.status).toBe(400);
    expect(badRole.body.description).toContain("'root'");

    const list = await client.call('GET', `${ADMIN}/users`, { auth: admin });
    expect(list.body.count).toBe(4);
    expectDocumented(UserListSchema, list.body);
    expect(list.body.list.map((user: { username: string }) => user.username)).toEqual(['admin', 'alice', 'bob', 'carol.q']);
    expect((await client.call('GET', `${ADMIN}/users/CAROL.Q`, { auth: admin })).body).toEqual(created.body);

    const { result: changed } = await client.expectOneEvent('registry.user.updated.v1', () =>
      client.call('PUT', `${ADMIN}/users/carol.q/password`, { auth: admin, body: { password: 'carol-pass-2' } }),
    );
    expect(changed.status).toBe(200);
    const oldLogin = await client.rpc.request('registry.rpc.user.authenticate.v1', { username: 'carol.q', password: 'carol-pass-1', clientAddress: '192.0.2.1' });
    expect(oldLogin).toEqual({ authenticated: false });
    const newLogin = await client.rpc.request('registry.rpc.user.authenticate.v1', { username: 'Carol.Q', password: 'carol-pass-2', clientAddress: '192.0.2.1' });
    expect(newLogin).toEqual({ authenticated: true, username: 'carol.q', roles: [] });
    // An end user (no role) may not use the Developer Portal API.
    expect((await client.call('GET', `${DEVPORTAL}/applications`, { auth: basic('carol.q', 'carol-pass-2') })).status).toBe(403);

    // Roles are replaced; the event says what they were, and the cached sign-in does not keep the old ones.
    const { result: promoted, event: rolesEvent } = await client.expectOneEvent('registry.user.roles-changed.v1', () =>
      client.call('PUT', `${ADMIN}/users/Carol.Q/roles`, { auth: admin, body: { roles: ['subscriber', 'admin'] } }),
    );
    expect(promoted).toMatchObject({ status: 200, body: { userId: created.body.userId, username: 'carol.q', roles: ['subscriber', 'admin'] } });
    expect(rolesEvent).toMatchObject({ username: 'carol.q', roles: ['subscriber', 'admin'], previousRoles: [] });
    expect(await client.rpc.request('registry.rpc.user.authenticate.v1', { username: 'carol.q', password: 'carol-pass-2', clientAddress: '192.0.2.1' })).toEqual({
      authenticated: true,
      username: 'carol.q',
      roles: ['subscriber', 'admin'],
    });
    expect((await client.call('GET', `${DEVPORTAL}/applications`, { auth: basic('carol.q', 'carol-pass-2') })).status).toBe(200);
    const { event: demoted } = await client.expectOneEvent('registry.user.roles-changed.v1', () =>
      client.call('PUT', `${ADMIN}/users/carol.q/roles`, { auth: admin, body: { roles: ['admin'] } }),
    );
    expect(demoted).toMatchObject({ roles: ['admin'], previousRoles: ['subscriber', 'admin'] });
    const badRoles = await client.call('PUT', `${ADMIN}/users/carol.q/roles`, { auth: admin, body: { roles: ['root'] } });
    expect(badRoles).toMatchObject({ status: 400, body: { description: expect.stringContaining("'root'") } });
    expect((await client.call('PUT', `${ADMIN}/users/carol.q/roles`, { auth: admin, body: {} })).status).toBe(400);
    expect((await client.call('PUT', `${ADMIN}/users/nobody/roles`, { auth: admin, body: { roles: [] } })).status).toBe(404);
    // Subscribers and end users may not change roles, their own included.
    expect((await client.call('PUT', `${ADMIN}/users/bob/roles`, { auth: bob, body: { roles: ['admin'] } })).status).toBe(403);

    // Every user path takes the userId the create answer gave as well as the name.
    expect((await client.call('GET', `${ADMIN}/users/${created.body.userId}`, { auth: admin })).body).toMatchObject({ username: 'carol.q' });
    const { result: deleted } = await client.expectOneEvent('registry.user.deleted.v1', () =>
      client.call('DELETE', `${ADMIN}/users/${created.body.userId.toUpperCase()}`, { auth: admin }),
    );
    expect(deleted.status).toBe(200);
    expect((await client.call('GET', `${ADMIN}/users/carol.q`, { auth: admin })).status).toBe(404);
    expect((await client.call('GET', `${ADMIN}/users/${created.body.userId}`, { auth: admin })).status).toBe(404);
    const lastAdmin = await client.call('DELETE', `${ADMIN}/users/admin`, { auth: admin });
    expect(lastAdmin.status).toBe(409);
    // Nor can the last admin lose the role (carol.q, an admin a moment ago, is gone).
    const lastAdminRole = await client.call('PUT', `${ADMIN}/users/admin/roles`, { auth: admin, body: { roles: ['subscriber'] } });
    expect(lastAdminRole).toMatchObject({ status: 409, body: { description: "'admin' is the last admin and cannot lose the admin role." } });
    expect((await client.call('GET', `${ADMIN}/users/admin`, { auth: admin })).body.roles).toEqual(['admin']);
  });

  it('creates, lists, updates applications and keeps subscribers apart', async () => {
    const { result: created, event } = await client.expectOneEvent('registry.application.created.v1', () =>
      client.call('POST', `${DEVPORTAL}/applications`, {
        auth: alice,
        body: { name: 'Shop', description: 'web shop', tokenType: 'OAUTH', attributes: { tier: 'gold' } },
      }),
    );
    expect(created.status).toBe(201);
    const applicationId: string = created.body.applicationId;
    expect(created.headers.get('location')).toBe(`${DEVPORTAL}/applications/${applicationId}`);
    expect(created.body).toMatchObject({
      name: 'Shop',
      throttlingPolicy: 'Unlimited',
      description: 'web shop',
      tokenType: 'OAUTH',
      status: 'APPROVED',
      owner: 'alice',
      attributes: { tier: 'gold' },
      keys: [],
    });
    expect(event).toMatchObject({ applicationId, name: 'Shop', owner: 'alice', tokenType: 'OAUTH', throttlingPolicy: 'Unlimited' });
    expectDocumented(ApplicationSchema, created.body);

    const duplicate = await client.call('POST', `${DEVPORTAL}/applications`, { auth: alice, body: { name: 'SHOP' } });
    expect(duplicate).toMatchObject({ status: 409, body: { code: 409 } });
    // Another owner may use the same name.
    const bobs = await client.call('POST', `${DEVPORTAL}/applications`, { auth: bob, body: { name: 'Shop', throttlingPolicy: '10PerMin' } });
    expect(bobs.status).toBe(201);
    for (const name of ['Analytics', 'Billing']) {
      expect((await client.call('POST', `${DEVPORTAL}/applications`, { auth: alice, body: { name, throttlingPolicy: '50PerMin' } })).status).toBe(201);
    }

    const page = await client.call('GET', `${DEVPORTAL}/applications?limit=2&sortBy=name&sortOrder=desc`, { auth: alice });
    expect(page.status).toBe(200);
    expect(page.body.list.map((app: { name: string }) => app.name)).toEqual(['Shop', 'Billing']);
    expect(page.body).toMatchObject({ count: 2, pagination: { offset: 0, limit: 2, total: 3, previous: '' } });
    expect(page.body.pagination.next).toContain('offset=2');
    expectDocumented(ApplicationListSchema, page.body);
    const search = await client.call('GET', `${DEVPORTAL}/applications?query=ill`, { auth: alice });
    expect(search.body.list.map((app: { name: string }) => app.name)).toEqual(['Billing']);
    const bobsList = await client.call('GET', `${DEVPORTAL}/applications`, { auth: bob });
    expect(bobsList.body.list.map((app: { owner: string }) => app.owner)).toEqual(['bob']);

    // Bob cannot see or touch Alice's application: 404, as if it did not exist.
    expect((await client.call('GET', `${DEVPORTAL}/applications/${applicationId}`, { auth: bob })).status).toBe(404);
    expect((await client.call('PUT', `${DEVPORTAL}/applications/${applicationId}`, { auth: bob, body: { name: 'Mine' } })).status).toBe(404);
    expect((await client.call('DELETE', `${DEVPORTAL}/applications/${applicationId}`, { auth: bob })).status).toBe(404);
    expect(
      (await client.call('POST', `${DEVPORTAL}/applications/${applicationId}/generate-keys`, { auth: bob, body: { keyType: 'PRODUCTION' } })).status,
    ).toBe(404);
    // The admin sees everyone's, in the Developer Portal and the Admin API.
    expect((await client.call('GET', `${DEVPORTAL}/applications/${applicationId}`, { auth: admin })).status).toBe(200);
    const all = await client.call('GET', `${ADMIN}/applications?limit=10`, { auth: admin });
    expect(all.body.pagination.total).toBe(4);
    expect(new Set(all.body.list.map((app: { owner: string }) => app.owner))).toEqual(new Set(['alice', 'bob']));
    expect((await client.call('GET', `${ADMIN}/applications`, { auth: alice })).status).toBe(403);

    const { result: updated } = await client.expectOneEvent('registry.application.updated.v1', () =>
      client.call('PUT', `${DEVPORTAL}/applications/${applicationId}`, { auth: alice, body: { name: 'Shop 2', throttlingPolicy: '20PerMin' } }),
    );
    expect(updated.body).toMatchObject({ applicationId, name: 'Shop 2', throttlingPolicy: '20PerMin', tokenType: 'JWT', owner: 'alice' });
    const renameClash = await client.call('PUT', `${DEVPORTAL}/applications/${applicationId}`, { auth: alice, body: { name: 'billing' } });
    expect(renameClash.status).toBe(409);
  });

  it('generates, reads, updates, regenerates and revokes keys, and serves client records over RPC', async () => {
    const app = await client.call('POST', `${DEVPORTAL}/applications`, { auth: alice, body: { name: 'Keys App', tokenType: 'OAUTH' } });
    const applicationId: string = app.body.applicationId;
    const keysPath = `${DEVPORTAL}/applications/${applicationId}`;
    expect((await client.call('PUT', `${ADMIN}/scopes/orders:read`, { auth: admin, body: { description: 'Read orders', bindings: ['subscriber'] } })).status).toBe(201);

    const { result: generated, event } = await client.expectOneEvent('registry.keys.generated.v1', () =>
      client.call('POST', `${keysPath}/generate-keys`, {
        auth: alice,
        body: { keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials', 'password'], scopes: ['orders:read'], validityTime: '7200', callbackUrl: '' },
      }),
    );
    expect(generated.status).toBe(200);
    const key = generated.body;
    expect(key).toMatchObject({
      keyMappingId: expect.any(String),
      consumerKey: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      consumerSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      supportedGrantTypes: ['client_credentials', 'password'],
      keyState: 'COMPLETED',
      keyType: 'PRODUCTION',
      scopes: ['orders:read'],
      validityTime: 7200,
    });
    expect(event).toEqual(
      expect.objectContaining({ applicationId, keyMappingId: key.keyMappingId, consumerKey: key.consumerKey, grantTypes: ['client_credentials', 'password'], validityTime: 7200 }),
    );
    expect(JSON.stringify(event)).not.toContain(key.consumerSecret);
    expectDocumented(GeneratedApplicationKeySchema, key);

    // Application ids are case-insensitive: the application and its keys, whichever case the path uses.
    const upperCase = await client.call('GET', `${DEVPORTAL}/applications/${applicationId.toUpperCase()}`, { auth: alice });
    expect(upperCase.status).toBe(200);
    expect(upperCase.body.keys.map((entry: { consumerKey: string }) => entry.consumerKey)).toEqual([key.consumerKey]);

    const second = await client.call('POST', `${keysPath}/generate-keys`, { auth: alice, body: { keyType: 'PRODUCTION' } });
    expect(second.status).toBe(409);
    const implicit = await client.call('POST', `${keysPath}/generate-keys`, { auth: alice, body: { keyType: 'SANDBOX', grantTypesToBeSupported: ['implicit'] } });
    expect(implicit.status).toBe(400);
    expect(implicit.body.description).toContain("'implicit'");
    const unknownScope = await client.call('POST', `${keysPath}/generate-keys`, { auth: alice, body: { keyType: 'SANDBOX', scopes: ['nope:none'] } });
    expect(unknownScope.status).toBe(400);
    expect(unknownScope.body.description).toContain("'nope:none'");

    const record = await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: key.consumerKey });
    expect(record).toEqual({
      consumerKey: key.consumerKey,
      secrets: [{ secretId: expect.stringMatching(/^[0-9a-f-]{36}$/), hash: sha256(key.consumerSecret), expiresAt: null }],
      keyMappingId: key.keyMappingId,
      keyType: 'PRODUCTION',
      keyState: 'ACTIVE',
      grantTypes: ['client_credentials', 'password'],
      scopes: [{ name: 'orders:read', bindings: ['subscriber'] }],
      validityTime: 7200,
      applicationId,
      applicationName: 'Keys App',
      owner: 'alice',
      tokenType: 'OAUTH',
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
      jwks: null,
      resources: [],
      tlsClientAuthSubjectDn: null,
      requireDpop: false,
    });
    expect(await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: 'unknown-key' })).toBeNull();
    await expect(client.rpc.request('registry.rpc.client.get.v1', { consumerKey: 42 } as never)).rejects.toMatchObject({ code: 'invalid_request' });

    const listed = await client.call('GET', `${keysPath}/oauth-keys`, { auth: alice });
    expect(listed.body.count).toBe(1);
    expect(listed.body.list[0]).not.toHaveProperty('consumerSecret');
    expectDocumented(ApplicationKeyListSchema, listed.body);
    expect((await client.call('GET', `${keysPath}/oauth-keys/${key.keyMappingId}`, { auth: alice })).body).toMatchObject({ consumerKey: key.consumerKey });

    const { result: updated, event: updatedEvent } = await client.expectOneEvent('registry.keys.updated.v1', () =>
      client.call('PUT', `${keysPath}/oauth-keys/${key.keyMappingId}`, {
        auth: alice,
        body: { supportedGrantTypes: ['client_credentials', 'refresh_token'], validityTime: 600, callbackUrl: 'https://shop.example/cb' },
      }),
    );
    expect(updated.body).toMatchObject({ supportedGrantTypes: ['client_credentials', 'refresh_token'], validityTime: 600, callbackUrl: 'https://shop.example/cb', scopes: ['orders:read'] });
    expect(updatedEvent).toMatchObject({ grantTypes: ['client_credentials', 'refresh_token'], validityTime: 600 });
    // requireDpop: shown, in the client record, and announced like any change of the key (the token service drops its cached record).
    expect(updated.body.requireDpop).toBe(false);
    const { result: dpopRequired } = await client.expectOneEvent('registry.keys.updated.v1', () =>
      client.call('PUT', `${keysPath}/oauth-keys/${key.keyMappingId}`, { auth: alice, body: { requireDpop: true } }),
    );
    expect(dpopRequired.body).toMatchObject({ requireDpop: true, validityTime: 600 });
    expect(await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: key.consumerKey })).toMatchObject({ requireDpop: true });
    expect((await client.call('GET', `${keysPath}/oauth-keys/${key.keyMappingId}`, { auth: alice })).body.requireDpop).toBe(true);
    // Changing a scope's bindings tells the token service about every key that allows it.
    await client.expectOneEvent('registry.keys.updated.v1', () =>
      client.call('PUT', `${ADMIN}/scopes/orders:read`, { auth: admin, body: { description: 'Read orders', bindings: ['admin', 'subscriber'] } }),
    );
    expect((await client.call('DELETE', `${ADMIN}/scopes/orders:read`, { auth: admin })).status).toBe(409);

    const { result: regenerated } = await client.expectOneEvent('registry.keys.secret-regenerated.v1', () =>
      client.call('POST', `${keysPath}/oauth-keys/${key.keyMappingId}/regenerate-secret`, { auth: alice }),
    );
    expect(regenerated.body).toEqual({ consumerKey: key.consumerKey, consumerSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(regenerated.body.consumerSecret).not.toBe(key.consumerSecret);
    const afterRegenerate = await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: key.consumerKey });
    // One secret, the new one: every other is gone.
    expect(afterRegenerate?.secrets.map((secret) => secret.hash)).toEqual([sha256(regenerated.body.consumerSecret)]);

    // generate-token: the old secret is refused here; the new one goes to the token service.
    const oldSecret = await client.call('POST', `${keysPath}/oauth-keys/${key.keyMappingId}/generate-token`, {
      auth: alice,
      body: { consumerSecret: key.consumerSecret },
    });
    expect(oldSecret.status).toBe(401);
    const noTokenService = await client.call('POST', `${keysPath}/oauth-keys/${key.keyMappingId}/generate-token`, {
      auth: alice,
      body: { consumerSecret: regenerated.body.consumerSecret },
    });
    expect(noTokenService).toMatchObject({ status: 503, body: { code: 503 } });
    const issued: Array<Record<string, unknown>> = [];
    await client.fakeResponder('tokens.rpc.issue.v2', (data) => {
      issued.push(data);
      return { response: { accessToken: 'opaque-token', tokenScopes: ['orders:read'], validityTime: 300 } };
    });
    const token = await client.call('POST', `${keysPath}/oauth-keys/${key.keyMappingId}/generate-token`, {
      auth: alice,
      body: { consumerSecret: regenerated.body.consumerSecret, validityPeriod: '300', scopes: ['orders:read'] },
    });
    expect(token).toMatchObject({ status: 200, body: { accessToken: 'opaque-token', tokenScopes: ['orders:read'], validityTime: 300 } });
    // The registry checked the secret itself: it does not cross the bus again.
    expect(issued).toEqual([{ consumerKey: key.consumerKey, validityPeriod: 300, scopes: ['orders:read'] }]);

    const { result: revoked, event: revokedEvent } = await client.expectOneEvent('registry.keys.revoked.v1', () =>
      client.call('DELETE', `${keysPath}/oauth-keys/${key.keyMappingId}`, { auth: alice }),
    );
    expect(revoked.status).toBe(200);
    expect(revokedEvent).toMatchObject({ applicationId, keyMappingId: key.keyMappingId, consumerKey: key.consumerKey, keyType: 'PRODUCTION' });
    expect(await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: key.consumerKey })).toBeNull();

    // Deleting an application takes its keys with it, with a single event.
    const sandbox = await client.call('POST', `${keysPath}/generate-keys`, { auth: alice, body: { keyType: 'SANDBOX' } });
    expect(sandbox.status).toBe(200);
    const { result: removed } = await client.expectOneEvent('registry.application.deleted.v1', () =>
      client.call('DELETE', `${DEVPORTAL}/applications/${applicationId}`, { auth: alice }),
    );
    expect(removed.status).toBe(200);
    expect(await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: sandbox.body.consumerKey })).toBeNull();
    expect((await client.call('GET', `${DEVPORTAL}/applications/${applicationId}`, { auth: alice })).status).toBe(404);
  });

  it('keeps the resources (RFC 8707) a key may ask for: shown, changed, carried to the token service, refused when malformed', async () => {
    const app = await client.call('POST', `${DEVPORTAL}/applications`, { auth: alice, body: { name: 'Resources App', tokenType: 'JWT' } });
    const keysPath = `${DEVPORTAL}/applications/${app.body.applicationId}`;
    const orders = 'https://api.example.com/orders';
    const generated = await client.call('POST', `${keysPath}/generate-keys`, { auth: alice, body: { keyType: 'PRODUCTION', resources: [orders] } });
    expect(generated.status).toBe(200);
    expect(generated.body.resources).toEqual([orders]);
    expectDocumented(GeneratedApplicationKeySchema, generated.body);
    const keyPath = `${keysPath}/oauth-keys/${generated.body.keyMappingId}`;
    const byDefault = await client.call('POST', `${keysPath}/generate-keys`, { auth: alice, body: { keyType: 'SANDBOX' } });
    expect(byDefault.body.resources).toEqual([]);

    // A change of the list is a key update: the token service's client cache drops the key on the event.
    const both = [orders, 'urn:example:billing'];
    const { result: updated } = await client.expectOneEvent('registry.keys.updated.v1', () =>
      client.call('PUT', keyPath, { auth: alice, body: { resources: both } }),
    );
    expect(updated.body.resources).toEqual(both);
    expect((await client.call('GET', keyPath, { auth: alice })).body.resources).toEqual(both);
    expect((await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: generated.body.consumerKey }))?.resources).toEqual(both);
    // Other changes keep it.
    expect((await client.call('PUT', keyPath, { auth: alice, body: { validityTime: 60 } })).body.resources).toEqual(both);

    const refusals: Array<[unknown, string]> = [
      [['/orders'], "'resources' item '/orders' is not an absolute URI"],
      [['https://api.example.com/orders#v2'], "'resources' item 'https://api.example.com/orders#v2' has a fragment"],
      [[orders, orders], `'resources' lists '${orders}' more than once.`],
      [Array.from({ length: 21 }, (_, index) => `${orders}/${index}`), "'resources' may hold at most 20 items."],
      [[`${orders}/${'a'.repeat(2000)}`], "Each item of 'resources' must be 1 to 2000 characters long."],
      ['https://api.example.com/orders', "'resources' must be an array of strings."],
    ];
    for (const [resources, description] of refusals) {
      const refused = await client.call('PUT', keyPath, { auth: alice, body: { resources } });
      expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: { ...errorShape, code: 400, description: expect.stringContaining(description) } });
      const refusedOnCreate = await client.call('POST', `${DEVPORTAL}/applications/${app.body.applicationId}/generate-keys`, {
        auth: alice,
        body: { keyType: 'SANDBOX', resources },
      });
      expect(refusedOnCreate.status).toBe(400);
    }
    // Nothing refused was stored.
    expect((await client.call('GET', keyPath, { auth: alice })).body.resources).toEqual(both);
    expect((await client.call('PUT', keyPath, { auth: alice, body: { resources: [] } })).body.resources).toEqual([]);
  });

  it('authenticates users over RPC without telling which part was wrong', async () => {
    expect(await client.rpc.request('registry.rpc.user.authenticate.v1', { username: 'ALICE', password: 'alice-password-1', clientAddress: '192.0.2.1' })).toEqual({
      authenticated: true,
      username: 'alice',
      roles: ['subscriber'],
    });
    expect(await client.rpc.request('registry.rpc.user.authenticate.v1', { username: 'alice', password: 'wrong-password', clientAddress: '192.0.2.1' })).toEqual({ authenticated: false });
    expect(await client.rpc.request('registry.rpc.user.authenticate.v1', { username: 'nobody', password: 'wrong-password', clientAddress: '192.0.2.1' })).toEqual({ authenticated: false });
    const malformed = client.rpc.request('registry.rpc.user.authenticate.v1', 'junk' as never);
    await expect(malformed).rejects.toBeInstanceOf(RpcError);
    await expect(malformed).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('accepts Bearer tokens through introspection: apim:subscribe for the Developer Portal, apim:admin for the Admin API', async () => {
    const tokens: Record<string, unknown> = {
      'subscriber-token': { active: true, scope: 'apim:subscribe', client_id: 'c', username: 'alice', token_type: 'Bearer', exp: Math.floor(Date.now() / 1000) + 600, iat: 0, nbf: 0, sub: 'alice', aud: 'c', iss: 'i', jti: 'j1' },
      'inactive-token': { active: false },
    };
    const billing = (await client.call('GET', `${DEVPORTAL}/applications?query=billing`, { auth: alice })).body.list[0];
    const billingKey = await client.call('POST', `${DEVPORTAL}/applications/${billing.applicationId}/generate-keys`, {
      auth: alice,
      body: { keyType: 'PRODUCTION', scopes: ['apim:subscribe'] },
    });
    expect(billingKey.status).toBe(200);
    const consumerKey: string = billingKey.body.consumerKey;
    tokens['admin-token'] = { ...(tokens['subscriber-token'] as object), scope: 'apim:admin apim:subscribe', username: 'admin', sub: 'admin', jti: 'j3' };
    tokens['client-token'] = { ...(tokens['subscriber-token'] as object), username: undefined, client_id: consumerKey, sub: consumerKey, jti: 'j2' };
    await client.fakeResponder('tokens.rpc.introspect.v1', (data) => ({ response: tokens[String(data.token)] ?? { active: false } }));
    const bearer = (token: string) => `Bearer ${token}`;
    const mine = await client.call('GET', `${DEVPORTAL}/applications`, { auth: bearer('subscriber-token') });
    expect(mine.status).toBe(200);
    expect(mine.body.list.every((app: { owner: string }) => app.owner === 'alice')).toBe(true);
    expect((await client.call('GET', `${ADMIN}/users`, { auth: bearer('subscriber-token') })).status).toBe(403);
    expect((await client.call('GET', `${ADMIN}/users`, { auth: bearer('admin-token') })).status).toBe(200);
    // A client-credentials token acts for the application's owner.
    const created = await client.call('POST', `${DEVPORTAL}/applications`, { auth: bearer('client-token'), body: { name: 'Made by a client' } });
    expect(created).toMatchObject({ status: 201, body: { owner: 'alice' } });
    const inactive = await client.call('GET', `${DEVPORTAL}/applications`, { auth: bearer('inactive-token') });
    expect(inactive.status).toBe(401);
    expect(inactive.headers.get('www-authenticate')).toBe('Basic realm="keymint"');
  });

  it('answers malformed input with a documented 4xx, never a 500', async () => {
    const app = await client.call('POST', `${DEVPORTAL}/applications`, { auth: bob, body: { name: 'Probe' } });
    const appPath = `${DEVPORTAL}/applications/${app.body.applicationId}`;
    const cases: Array<{ method: string; path: string; body?: unknown; rawBody?: string; contentType?: string; status: number; field?: string }> = [
      { method: 'POST', path: `${DEVPORTAL}/applications`, rawBody: '{"name":', status: 400 },
      { method: 'POST', path: `${DEVPORTAL}/applications`, rawBody: 'name=x', contentType: 'application/x-www-form-urlencoded', status: 415 },
      { method: 'POST', path: `${DEVPORTAL}/applications`, rawBody: 'hello', contentType: 'text/plain', status: 415 },
      { method: 'POST', path: `${DEVPORTAL}/applications`, rawBody: '"hello"', status: 400 },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: [], status: 400 },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 7 }, status: 400, field: 'name' },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 'x'.repeat(101) }, status: 400, field: 'name' },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 'a', throttlingPolicy: 'Gold' }, status: 400, field: 'throttlingPolicy' },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 'a', tokenType: 'SAML' }, status: 400, field: 'tokenType' },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 'a', description: 'd'.repeat(513) }, status: 400, field: 'description' },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 'a', attributes: { k: 1 } }, status: 400, field: 'attributes.k' },
      { method: 'POST', path: `${DEVPORTAL}/applications`, body: { name: 'a', attributes: 'x' }, status: 400, field: 'attributes' },
      { method: 'GET', path: `${DEVPORTAL}/applications?limit=0`, status: 400, field: 'limit' },
      { method: 'GET', path: `${DEVPORTAL}/applications?limit=1&limit=2`, status: 400, field: 'limit' },
      { method: 'GET', path: `${DEVPORTAL}/applications?offset=x`, status: 400, field: 'offset' },
      { method: 'GET', path: `${DEVPORTAL}/applications?sortBy=owner`, status: 400, field: 'sortBy' },
      { method: 'GET', path: `${DEVPORTAL}/applications?sortOrder=up`, status: 400, field: 'sortOrder' },
      { method: 'GET', path: `${DEVPORTAL}/applications/not-a-uuid`, status: 404 },
      { method: 'GET', path: `${DEVPORTAL}/applications/00000000-0000-4000-8000-000000000000`, status: 404 },
      { method: 'POST', path: `${appPath}/generate-keys`, body: {}, status: 400, field: 'keyType' },
      { method: 'POST', path: `${appPath}/generate-keys`, body: { keyType: 'PRODUCTION', grantTypesToBeSupported: 'password' }, status: 400, field: 'grantTypesToBeSupported' },
      { method: 'POST', path: `${appPath}/generate-keys`, body: { keyType: 'PRODUCTION', validityTime: 'soon' }, status: 400, field: 'validityTime' },
      { method: 'POST', path: `${appPath}/generate-keys`, body: { keyType: 'PRODUCTION', validityTime: 0 }, status: 400, field: 'validityTime' },
      { method: 'POST', path: `${appPath}/generate-keys`, body: { keyType: 'PRODUCTION', scopes: [1] }, status: 400, field: 'scopes' },
      { method: 'POST', path: `${appPath}/generate-keys`, body: { keyType: 'PRODUCTION', callbackUrl: 'not a url' }, status: 400, field: 'callbackUrl' },
      // A subscriber's key may not allow a scope bound to roles it does not hold.
      { method: 'POST', path: `${appPath}/generate-keys`, body: { keyType: 'PRODUCTION', scopes: ['apim:admin'] }, status: 400, field: 'apim:admin' },
      { method: 'GET', path: `${appPath}/oauth-keys/not-a-uuid`, status: 404 },
      { method: 'POST', path: `${appPath}/oauth-keys/00000000-0000-4000-8000-000000000000/regenerate-secret`, status: 404 },
      { method: 'POST', path: `${ADMIN}/users`, body: { username: 'a:b', password: 'long-enough' }, status: 400, field: 'username' },
      { method: 'POST', path: `${ADMIN}/users`, body: { username: 'erin', password: 12345678 }, status: 400, field: 'password' },
      { method: 'PUT', path: `${ADMIN}/users/alice/password`, body: {}, status: 400, field: 'password' },
      { method: 'PUT', path: `${ADMIN}/users/nobody/password`, body: { password: 'long-enough' }, status: 404 },
      { method: 'PUT', path: `${ADMIN}/scopes/bad%20scope`, body: {}, status: 400 },
      { method: 'PUT', path: `${ADMIN}/scopes/ok`, body: { bindings: ['root'] }, status: 400, field: 'bindings' },
      { method: 'PUT', path: `${ADMIN}/scopes/ok`, body: { name: 'other' }, status: 400, field: 'name' },
      { method: 'GET', path: `${ADMIN}/scopes/missing`, status: 404 },
      { method: 'PUT', path: `${ADMIN}/scopes/apim:admin`, body: { bindings: [] }, status: 400, field: 'bindings' },
      { method: 'DELETE', path: `${ADMIN}/scopes/apim:subscribe`, status: 409 },
      { method: 'GET', path: `${ADMIN}/applications?limit=101`, status: 400, field: 'limit' },
    ];
    for (const probe of cases) {
      const auth = probe.path.startsWith(ADMIN) ? admin : bob;
      const reply = await client.call(probe.method, probe.path, { auth, body: probe.body, rawBody: probe.rawBody, contentType: probe.contentType });
      expect({ probe: `${probe.method} ${probe.path}`, status: reply.status, shape: reply.body }).toEqual({
        probe: `${probe.method} ${probe.path}`,
        status: probe.status,
        shape: { ...errorShape, code: probe.status },
      });
      if (probe.field) expect(reply.body.description).toContain(`'${probe.field}'`);
    }
  });

  it('deletes a user together with its applications, one event each', async () => {
    const before = await client.lastSequence();
    const owned = (await client.call('GET', `${ADMIN}/applications?user=bob`, { auth: admin })).body;
    expect(owned.pagination.total).toBeGreaterThan(0);
    expect((await client.call('DELETE', `${ADMIN}/users/BOB`, { auth: admin })).status).toBe(200);
    let events = await client.events(before + 1);
    for (let attempt = 0; attempt < 40 && events.length < owned.pagination.total + 1; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = await client.events(before + 1);
    }
    expect(events.map((item) => item.subject)).toEqual([
      ...Array(owned.pagination.total).fill('registry.application.deleted.v1'),
      'registry.user.deleted.v1',
    ]);
    expect((await client.call('GET', `${ADMIN}/applications?user=bob`, { auth: admin })).body.pagination.total).toBe(0);
    expect((await client.call('GET', `${DEVPORTAL}/applications`, { auth: bob })).status).toBe(401);
  });
});

describe('application registry (PostgreSQL)', () => {
  let cluster: TestCluster | undefined;
  let client: RegistryClient;
  let drop: (() => Promise<void>) | undefined;
  let skip = false;

  beforeAll(async () => {
    const database = await postgresTestDatabase();
    if (!database) {
      skip = true;
      return;
    }
    drop = database.drop;
    // No ADMIN_PASSWORD: the first start generates one into DATA_DIR/admin-credentials.
    cluster = await startTestCluster({ services: ['application-registry'], dbUrl: database.url, env: { ADMIN_PASSWORD: '' } });
    client = await RegistryClient.open(cluster);
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
    await drop?.();
  });

  it('generates the admin password once, keeps it across restarts, and runs the key walk-through', async () => {
    if (skip || !cluster) {
      console.warn('PostgreSQL not reachable: skipped');
      return;
    }
    const file = join(cluster.dataDir, 'admin-credentials');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const credentials = readFileSync(file, 'utf8');
    const match = /^ADMIN_USERNAME=admin\nADMIN_PASSWORD=([A-Za-z0-9_-]{24})\n$/.exec(credentials);
    expect(match).not.toBeNull();
    const admin = basic('admin', match![1]);
    expect((await client.call('GET', `${ADMIN}/users`, { auth: admin })).status).toBe(200);
    expect((await client.call('GET', `${ADMIN}/users`, { auth: cluster.adminAuthorization() })).status).toBe(401);
    const log = readFileSync(join(cluster.dataDir, 'logs', 'application-registry.log'), 'utf8');
    expect(log).toContain('admin-credentials');
    expect(log).not.toContain(match![1]);

    const app = await client.call('POST', `${DEVPORTAL}/applications`, { auth: admin, body: { name: 'PG App' } });
    expect(app.status).toBe(201);
    expect((await client.call('POST', `${DEVPORTAL}/applications`, { auth: admin, body: { name: 'pg app' } })).status).toBe(409);
    const keys = await client.call('POST', `${DEVPORTAL}/applications/${app.body.applicationId}/generate-keys`, {
      auth: admin,
      body: { keyType: 'SANDBOX', scopes: ['apim:subscribe'], validityTime: 90 },
    });
    expect(keys.status).toBe(200);
    const record = await client.rpc.request('registry.rpc.client.get.v1', { consumerKey: keys.body.consumerKey });
    expect(record).toMatchObject({
      secrets: [{ secretId: expect.any(String), hash: sha256(keys.body.consumerSecret), expiresAt: null }],
      owner: 'admin',
      tokenType: 'JWT',
      validityTime: 90,
      scopes: [{ name: 'apim:subscribe', bindings: ['admin', 'subscriber'] }],
    });

    const service = cluster.service('application-registry');
    await service.stop();
    service.start();
    await service.waitHealthy();
    expect(readFileSync(file, 'utf8')).toBe(credentials);
    expect((await client.call('GET', `${DEVPORTAL}/applications`, { auth: admin })).body.pagination.total).toBe(1);
    const subjects = (await client.events()).map((item) => item.subject);
    expect(subjects).toEqual(['registry.user.created.v1', 'registry.application.created.v1', 'registry.keys.generated.v1']);
  });
});
