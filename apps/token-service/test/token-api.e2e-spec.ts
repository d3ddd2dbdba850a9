import { createHash, createPublicKey, JsonWebKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../scripts/lib/ports';
import { startTestCluster, TestCluster } from '../../../test/support/cluster';
import { queryStore, storeContents } from '../../../test/support/store';
import { tokenStreamMessages } from '../../../test/support/token-stream';
import { z } from 'zod/v4';
import {
  AuthorizationServerMetadataSchema,
  IntrospectionResponseSchema,
  JwksSchema,
  oauth2ErrorSchema,
  TokenResponseSchema,
} from '../src/oauth2/http-schemas';
import { FakeRegistry } from './fake-registry';
import { basic, curl, form, post, Reply, SECURITY_HEADERS } from './support';

/**
 * The Token API end to end: the compiled token service with its own NATS and
 * SQLite, a fake registry answering the two registry RPCs.
 */
describe('token-service Token API (e2e)', () => {
  let cluster: TestCluster;
  let registry: FakeRegistry;
  /** Successful token responses (minted + reused), to compare with tokens.issued.v1 on the bus. */
  const issued = { total: 0, reused: 0 };

  const secrets: Record<string, string> = {};
  const seenTokens = new Set<string>();
  const url = (path: string) => cluster.url('token-service', path);

  async function token(body: Record<string, string>, key: string, secret = secrets[key]): Promise<Reply> {
    const reply = await post(url('/token'), form(body), { authorization: basic(key, secret) });
    if (reply.status === 200) {
      issued.total += 1;
      seenTokens.add(reply.json.access_token);
      if (reply.json.refresh_token) seenTokens.add(reply.json.refresh_token);
    }
    return reply;
  }

  function expectError(reply: Reply, status: number, error: string): void {
    expect({ status: reply.status, error: reply.json?.error }).toEqual({ status, error });
    expect(typeof reply.json.error_description).toBe('string');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(reply.headers.get(name)).toBe(value);
  }

  beforeAll(async () => {
    cluster = await startTestCluster({
      services: ['token-service'],
      env: { AUTH_FAILURE_LIMIT: '5', MAX_TOKEN_VALIDITY: '7200', CLIENT_CACHE_TTL: '2' },
    });
    registry = await FakeRegistry.start(cluster);
    // WSO2-style opaque key; its secret needs Appendix B encoding (':', ' ', '+', '%').
    secrets.opaque = registry.addClient(
      { consumerKey: 'opaque', tokenType: 'OAUTH', validityTime: 3600, scopes: [{ name: 'test', bindings: [] }] },
      'se:cr et+%41',
    );
    secrets.jwt = registry.addClient({
      consumerKey: 'jwt',
      tokenType: 'JWT',
      validityTime: 1800,
      grantTypes: ['client_credentials', 'password', 'refresh_token'],
      scopes: [
        { name: 'read', bindings: ['subscriber'] },
        { name: 'manage', bindings: ['admin'] },
      ],
    });
    secrets.passwordOnly = registry.addClient({ consumerKey: 'passwordOnly', tokenType: 'OAUTH', grantTypes: ['password'] });
    secrets.limited = registry.addClient({ consumerKey: 'limited', tokenType: 'OAUTH' });
    secrets.regen = registry.addClient({ consumerKey: 'regen', tokenType: 'OAUTH', applicationId: 'app-regen' });
    registry.users.set('bob', { password: 'bob-password', roles: ['subscriber'] });
    registry.users.set('eve', { password: 'eve-password', roles: [] });
  });

  afterAll(async () => {
    await registry?.close();
    await cluster?.stop();
  });

  it('answers the WSO2 curl verbatim over HTTPS and over HTTP', async () => {
    const authorization = basic('opaque', secrets.opaque);
    const https = `https://localhost:${cluster.httpsPort('token-service')}/token`;
    const reply = await curl(['-k', '-d', 'grant_type=client_credentials', '-H', `Authorization: ${authorization}`, '-H', 'Content-Type: application/x-www-form-urlencoded', https, '-v']);
    issued.total += 1;
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.body);
    expect(body).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), scope: 'am_application_scope default', token_type: 'Bearer', expires_in: expect.any(Number) });
    expect(body.expires_in).toBeGreaterThan(3590);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(reply.headers[name]).toBe(value);
    expect(reply.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);

    const scoped = await curl(['-k', '-d', 'grant_type=client_credentials&scope=test', '-H', `Authorization: ${authorization}`, '-H', 'Content-Type: application/x-www-form-urlencoded', https]);
    issued.total += 1;
    expect(scoped.status).toBe(200);
    expect(JSON.parse(scoped.body).scope).toBe('am_application_scope test');

    const plain = await post(url('/oauth2/token'), 'grant_type=client_credentials', { authorization });
    issued.total += 1;
    expect(plain.status).toBe(200);
    // Token reuse (WSO2): same key and scope set while the token is active → the same token.
    expect(plain.json.access_token).toBe(body.access_token);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    issued.reused += 1;
  });

  it('accepts a JSON body with client_id and client_secret', async () => {
    const reply = await fetch(url('/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'jwt', client_secret: secrets.jwt, validity_period: 600 }),
    });
    issued.total += 1;
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'am_application_scope default' });
    expect(body.refresh_token).toBeUndefined();
  });

  it('answers every request error with its documented code, status and headers', async () => {
    const good = basic('jwt', secrets.jwt);
    const cc = 'grant_type=client_credentials';
    const noCredentials = await post(url('/token'), cc);
    expectError(noCredentials, 401, 'invalid_client');
    expect(noCredentials.headers.get('www-authenticate')).toBe('Basic realm="keymint"');
    const wrongSecret = await post(url('/token'), cc, { authorization: basic('jwt', 'wrong') });
    expectError(wrongSecret, 401, 'invalid_client');
    expect(wrongSecret.headers.get('www-authenticate')).toBe('Basic realm="keymint"');
    expectError(await post(url('/token'), cc, { authorization: basic('nobody', 'x') }), 401, 'invalid_client');
    expectError(await post(url('/token'), cc, { authorization: 'Basic %%%' }), 401, 'invalid_client');
    expectError(await post(url('/token'), `${cc}&client_secret=${secrets.jwt}`, { authorization: good }), 400, 'invalid_request');
    expectError(await post(url('/token'), `${cc}&client_id=other`, { authorization: good }), 400, 'invalid_request');
    expectError(await post(url(`/token?client_id=jwt&client_secret=${secrets.jwt}`), cc, { authorization: good }), 400, 'invalid_request');
    expectError(await post(url('/token'), `${cc}&scope=a&scope=b`, { authorization: good }), 400, 'invalid_request');
    expectError(await post(url('/token'), cc, { authorization: good, 'content-type': 'text/plain' }), 400, 'invalid_request');
    expectError(await post(url('/token'), '"grant_type"', { authorization: good, 'content-type': 'application/json' }), 400, 'invalid_request');
    expectError(await post(url('/token'), '{"grant_type":', { authorization: good, 'content-type': 'application/json' }), 400, 'invalid_request');
    expectError(await post(url('/token'), '[1,2]', { authorization: good, 'content-type': 'application/json' }), 400, 'invalid_request');
    expectError(await post(url('/token'), '', { authorization: good }), 400, 'invalid_request');
    expectError(await post(url('/token'), 'grant_type=authorization_code', { authorization: good }), 400, 'unsupported_grant_type');
    expectError(await post(url('/token'), 'grant_type=client_credentials', { authorization: basic('passwordOnly', secrets.passwordOnly) }), 400, 'unauthorized_client');
    expectError(await post(url('/token'), `${cc}&scope=${encodeURIComponent('bad"scope')}`, { authorization: good }), 400, 'invalid_scope');
    for (const validity of ['0', '-5', '1.5', 'abc', '']) {
      expectError(await post(url('/token'), `${cc}&validity_period=${validity}`, { authorization: good }), 400, 'invalid_request');
    }
    expectError(await post(url('/token'), `${cc}&pad=${'x'.repeat(70_000)}`, { authorization: good }), 413, 'invalid_request');
    for (const path of ['/token', '/oauth2/revoke', '/oauth2/introspect']) {
      const options = await fetch(url(path), { method: 'OPTIONS' });
      expect([options.status, options.headers.get('allow')]).toEqual([405, 'POST']);
      const wrongMethod = await fetch(url(path));
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
      expect(await wrongMethod.json()).toEqual({ error: 'invalid_request', error_description: 'This endpoint accepts POST only.' });
    }
    const missing = await fetch(url('/no-such-path'));
    expect(missing.status).toBe(404);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(missing.headers.get(name)).toBe(value);
    const health = await fetch(url('/health'));
    expect(health.headers.get('cache-control')).toBe('no-store');
  });

  it('applies validity_period: the key default, a custom value, the MAX_TOKEN_VALIDITY cap', async () => {
    const expiresIn = async (validity?: string) => (await token({ grant_type: 'client_credentials', ...(validity ? { validity_period: validity } : {}) }, 'jwt')).json.expires_in;
    expect(await expiresIn()).toBe(1800);
    expect(await expiresIn('-1')).toBe(1800);
    expect(await expiresIn('120')).toBe(120);
    expect(await expiresIn('99999999')).toBe(7200);
  });

  it('issues JWTs that verify against /oauth2/jwks with the documented claims', async () => {
    const reply = await token({ grant_type: 'client_credentials', scope: 'read manage unknown' }, 'jwt');
    expect(reply.status).toBe(200);
    expect(reply.json.scope).toBe('am_application_scope manage read');
    const [headerPart, payloadPart, signature] = reply.json.access_token.split('.');
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const jwks = (await (await fetch(url('/oauth2/jwks'))).json()) as { keys: JsonWebKey[] };
    const jwk = jwks.keys.find((key) => key.kid === header.kid)!;
    expect(jwk).toBeDefined();
    expect(jwk.d).toBeUndefined();
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
    const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString());
    expect(claims).toMatchObject({
      iss: `https://localhost:${cluster.httpsPort('token-service')}/oauth2/token`,
      sub: 'jwt',
      aud: 'jwt',
      azp: 'jwt',
      client_id: 'jwt',
      scope: 'am_application_scope manage read',
      aut: 'APPLICATION',
      keytype: 'PRODUCTION',
      application: { id: 'app-jwt', name: 'Application jwt', owner: 'alice' },
    });
    expect(claims.exp - claims.iat).toBe(1800);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect((await (await fetch(url('/jwks'))).json())).toEqual(jwks);

    const metadata = await (await fetch(url('/.well-known/oauth-authorization-server'))).json();
    const origin = `https://localhost:${cluster.httpsPort('token-service')}`;
    expect(metadata).toMatchObject({ issuer: claims.iss, token_endpoint: `${origin}/oauth2/token`, jwks_uri: `${origin}/oauth2/jwks`, introspection_endpoint: `${origin}/oauth2/introspect`, revocation_endpoint: `${origin}/oauth2/revoke` });
  });

  it('serves its OpenAPI document on both listeners, and answers as the document says', async () => {
    const overHttps = await curl(['-k', `https://localhost:${cluster.httpsPort('token-service')}/oauth2/openapi.json`]);
    expect(overHttps.status).toBe(200);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(overHttps.headers[name]).toBe(value);
    expect(overHttps.headers['strict-transport-security']).toMatch(/max-age=/);
    const document = JSON.parse(overHttps.body);
    expect(document).toMatchObject({ openapi: '3.1.0', paths: { '/oauth2/token': { post: expect.any(Object) } } });
    const overHttp = await fetch(url('/oauth2/openapi.json'));
    expect(overHttp.status).toBe(200);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(overHttp.headers.get(name)).toBe(value);
    expect(await overHttp.json()).toEqual(document);

    const documented = (schema: z.ZodType, body: unknown) => expect(schema.parse(body)).toEqual(body);
    const granted = await token({ grant_type: 'password', username: 'bob', password: 'bob-password', scope: 'read' }, 'jwt');
    expect(granted.json.refresh_token).toEqual(expect.any(String));
    documented(TokenResponseSchema, granted.json);
    const introspected = await post(url('/oauth2/introspect'), form({ token: granted.json.access_token }), { authorization: basic('jwt', secrets.jwt) });
    expect(introspected.json.active).toBe(true);
    documented(IntrospectionResponseSchema, introspected.json);
    documented(JwksSchema, await (await fetch(url('/oauth2/jwks'))).json());
    documented(AuthorizationServerMetadataSchema, await (await fetch(url('/.well-known/oauth-authorization-server'))).json());
    documented(oauth2ErrorSchema('invalid_client'), (await post(url('/oauth2/token'), form({ grant_type: 'client_credentials' }))).json);
  });

  it('gives a burst of 20 identical opaque requests one token, and stores only hashes', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => token({ grant_type: 'client_credentials', scope: 'test', validity_period: '100' }, 'limited')));
    expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200));
    const tokens = new Set(replies.map((reply) => reply.json.access_token));
    expect(tokens.size).toBe(1);
    issued.reused += 19;
    // 'test' is not a scope of this key: dropped, and the token is 'default'.
    expect(replies[0].json.scope).toBe('am_application_scope default');

    const rows = await queryStore(cluster, 'token', `SELECT "tokenHash" FROM token_tokens WHERE "consumerKey" = 'limited'`);
    const [accessToken] = [...tokens] as string[];
    expect(rows).toEqual([{ tokenHash: createHash('sha256').update(accessToken).digest('hex') }]);
    expect(await storeContents(cluster, 'token')).not.toContain(accessToken);
  });

  it('mints a new reusable token when the old one is about to expire, and the old one leaves the reuse index', async () => {
    secrets.expiring = registry.addClient({ consumerKey: 'expiring', tokenType: 'OAUTH' });
    const first = await token({ grant_type: 'client_credentials', validity_period: '2' }, 'expiring');
    expect(first.status).toBe(200);
    // A token with 1 s or less left is not handed out again (docs/token-api.md, "Token reuse").
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const second = await token({ grant_type: 'client_credentials', validity_period: '2' }, 'expiring');
    expect(second.status).toBe(200);
    expect(second.json.access_token).not.toBe(first.json.access_token);
    const rows = await queryStore(
      cluster,
      'token',
      `SELECT "tokenHash", "reuseKey", "encryptedToken" FROM token_tokens WHERE "consumerKey" = 'expiring' ORDER BY "issuedAt"`,
    );
    const hash = (value: unknown) => createHash('sha256').update(String(value)).digest('hex');
    expect(rows).toEqual([
      { tokenHash: hash(first.json.access_token), reuseKey: null, encryptedToken: null },
      { tokenHash: hash(second.json.access_token), reuseKey: 'expiring\nam_application_scope default', encryptedToken: expect.any(String) },
    ]);
  });

  it('runs the password grant with role-bound scopes, refresh rotation and family revocation', async () => {
    const badUser = await token({ grant_type: 'password', username: 'bob', password: 'nope' }, 'jwt');
    expectError(badUser, 400, 'invalid_grant');
    const unknownUser = await token({ grant_type: 'password', username: 'nobody', password: 'nope' }, 'jwt');
    expect(unknownUser.json).toEqual(badUser.json);

    const login = await token({ grant_type: 'password', username: 'bob', password: 'bob-password', scope: 'read manage' }, 'jwt');
    expect(login.status).toBe(200);
    expect(login.json.scope).toBe('read');
    expect(login.json.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = JSON.parse(Buffer.from(login.json.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'bob', aut: 'APPLICATION_USER' });

    const noRoles = await token({ grant_type: 'password', username: 'eve', password: 'eve-password', scope: 'read' }, 'jwt');
    expect(noRoles.json.scope).toBe('default');

    const noRefresh = await token({ grant_type: 'password', username: 'bob', password: 'bob-password' }, 'passwordOnly');
    expect(noRefresh.status).toBe(200);
    expect(noRefresh.json.refresh_token).toBeUndefined();

    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: login.json.refresh_token }, 'jwt');
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ scope: 'read', expires_in: 1800, token_type: 'Bearer' });
    expect(refreshed.json.refresh_token).not.toBe(login.json.refresh_token);

    const foreign = await token({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token }, 'passwordOnly');
    expectError(foreign, 400, 'unauthorized_client');

    // Replaying the rotated refresh token revokes the whole family.
    expectError(await token({ grant_type: 'refresh_token', refresh_token: login.json.refresh_token }, 'jwt'), 400, 'invalid_grant');
    expectError(await token({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token }, 'jwt'), 400, 'invalid_grant');
    const introspected = await post(url('/oauth2/introspect'), form({ token: refreshed.json.access_token }), { authorization: basic('jwt', secrets.jwt) });
    expect(introspected.json).toEqual({ active: false });
  });

  it('caps the key validity at MAX_TOKEN_VALIDITY for refreshed tokens too', async () => {
    secrets.longLived = registry.addClient({ consumerKey: 'longLived', tokenType: 'OAUTH', validityTime: 99999, grantTypes: ['password', 'refresh_token'] });
    const login = await token({ grant_type: 'password', username: 'bob', password: 'bob-password' }, 'longLived');
    expect(login.json.expires_in).toBe(7200);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: login.json.refresh_token }, 'longLived');
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.expires_in).toBe(7200);
  });

  it('introspects and revokes per RFC 7662 / RFC 7009', async () => {
    const issuedToken = (await token({ grant_type: 'password', username: 'bob', password: 'bob-password' }, 'jwt')).json;
    const owner = basic('jwt', secrets.jwt);
    const active = await post(url('/oauth2/introspect'), form({ token: issuedToken.access_token }), { authorization: owner });
    expect(active.status).toBe(200);
    expect(active.json).toEqual({
      active: true,
      scope: 'default',
      client_id: 'jwt',
      username: 'bob',
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
      nbf: expect.any(Number),
      sub: 'bob',
      aud: 'jwt',
      iss: expect.stringMatching(/\/oauth2\/token$/),
      jti: expect.any(String),
    });
    const other = basic('limited', secrets.limited);
    expect((await post(url('/introspect'), form({ token: issuedToken.access_token }), { authorization: other })).json).toEqual({ active: false });
    expect((await post(url('/introspect'), form({ token: 'garbage' }), { authorization: owner })).text).toBe('{"active":false}');
    expectError(await post(url('/introspect'), form({ token: 'x' })), 401, 'invalid_client');
    const admin = await post(url('/oauth2/introspect'), form({ token: issuedToken.access_token }), { authorization: basic('root', 'root-password') });
    expectError(admin, 401, 'invalid_client');
    registry.users.set('root', { password: 'root-password', roles: ['admin'] });
    expect((await post(url('/oauth2/introspect'), form({ token: issuedToken.access_token }), { authorization: basic('root', 'root-password') })).json.active).toBe(true);

    expectError(await post(url('/revoke'), form({ token: issuedToken.access_token }), { authorization: other }), 400, 'invalid_request');
    expect((await post(url('/introspect'), form({ token: issuedToken.access_token }), { authorization: owner })).json.active).toBe(true);
    const unknown = await post(url('/oauth2/revoke'), form({ token: 'never-issued' }), { authorization: owner });
    expect({ status: unknown.status, text: unknown.text }).toEqual({ status: 200, text: '' });
    const revoked = await post(url('/oauth2/revoke'), form({ token: issuedToken.refresh_token, token_type_hint: 'access_token' }), { authorization: owner });
    expect({ status: revoked.status, text: revoked.text }).toEqual({ status: 200, text: '' });
    expect((await post(url('/introspect'), form({ token: issuedToken.access_token }), { authorization: owner })).json).toEqual({ active: false });
    expectError(await post(url('/revoke'), form({ token: 'x' })), 401, 'invalid_client');
  });

  it('answers the token RPCs (issue for the registry, introspect)', async () => {
    // The registry checked the secret before asking; no secret crosses the bus.
    const result = await registry.call('tokens.rpc.issue.v2', { consumerKey: 'jwt', validityPeriod: 300, scopes: ['read'] });
    issued.total += 1;
    expect(result.response).toMatchObject({ tokenScopes: ['am_application_scope', 'read'], validityTime: 300 });
    const introspected = await registry.call('tokens.rpc.introspect.v1', { token: result.response!.accessToken });
    expect(introspected.response).toMatchObject({ active: true, client_id: 'jwt', scope: 'am_application_scope read' });
    const unknown = await registry.call('tokens.rpc.issue.v2', { consumerKey: 'never-registered' });
    expect(unknown.err).toEqual({ code: 'invalid_client', message: expect.any(String) });
    const notAllowed = await registry.call('tokens.rpc.issue.v2', { consumerKey: 'passwordOnly' });
    expect(notAllowed.err?.code).toBe('unauthorized_client');
    // Malformed requests get a typed error and the service stays up.
    const malformed = await registry.call('tokens.rpc.issue.v2', { consumerKey: 7 } as never);
    expect(malformed.err?.code).toBe('invalid_request');
    expect((await registry.call('tokens.rpc.introspect.v1', null as never)).err?.code).toBe('invalid_request');
    expect((await fetch(url('/health'))).status).toBe(200);
  });

  it('returns 429 with Retry-After after AUTH_FAILURE_LIMIT failures, for that key and address only', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expectError(await post(url('/token'), 'grant_type=client_credentials', { authorization: basic('regen', 'wrong') }), 401, 'invalid_client');
    }
    const blocked = await post(url('/token'), 'grant_type=client_credentials', { authorization: basic('regen', secrets.regen) });
    expectError(blocked, 429, 'too_many_requests');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await token({ grant_type: 'client_credentials' }, 'limited')).status).toBe(200);
    issued.reused += 1;

  });

  it('passes the client address with every user sign-in, and answers 429 with Retry-After when the registry refuses one (it keeps the users\' limit)', async () => {
    registry.signInAddresses.length = 0;
    expectError(await token({ grant_type: 'password', username: 'eve', password: 'wrong' }, 'jwt'), 400, 'invalid_grant');
    registry.throttled.set('eve', 42);
    const refused = await token({ grant_type: 'password', username: 'eve', password: 'eve-password' }, 'jwt');
    expectError(refused, 429, 'too_many_requests');
    expect(refused.headers.get('retry-after')).toBe('42');
    registry.throttled.delete('eve');
    expect((await token({ grant_type: 'password', username: 'bob', password: 'bob-password' }, 'jwt')).status).toBe(200);
    expect(registry.signInAddresses).toHaveLength(3);
    for (const address of registry.signInAddresses) expect(address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('keeps issuing for known clients while the registry is down, and revokes on registry events', async () => {
    const before = await token({ grant_type: 'client_credentials' }, 'opaque');
    expect(before.status).toBe(200);
    issued.reused += 1;
    await registry.down();
    await new Promise((resolve) => setTimeout(resolve, 2200)); // past CLIENT_CACHE_TTL
    const during = await token({ grant_type: 'client_credentials', validity_period: '60' }, 'jwt');
    expect(during.status).toBe(200);
    registry.up();

    const jetStream = registry.connection.jetstream();
    await jetStream.publish(
      'registry.keys.secret-regenerated.v1',
      Buffer.from(JSON.stringify({ eventId: '6b7d3c9e-1f2a-4b5c-8d9e-0a1b2c3d4e5f', occurredAt: new Date().toISOString(), applicationId: 'app-opaque', keyMappingId: 'map-opaque', consumerKey: 'opaque', keyType: 'PRODUCTION' })),
      { msgID: '6b7d3c9e-1f2a-4b5c-8d9e-0a1b2c3d4e5f' },
    );
    const owner = basic('opaque', secrets.opaque);
    let state: unknown;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      state = (await post(url('/introspect'), form({ token: before.json.access_token }), { authorization: owner })).json;
      if ((state as { active: boolean }).active === false) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state).toEqual({ active: false });
    const fresh = await token({ grant_type: 'client_credentials' }, 'opaque');
    expect(fresh.json.access_token).not.toBe(before.json.access_token);

    // Deleting an application revokes every token of its keys.
    const limitedToken = (await token({ grant_type: 'client_credentials' }, 'limited')).json.access_token;
    issued.reused += 1;
    const deletedId = '0f6d3c9e-1f2a-4b5c-8d9e-0a1b2c3d4e5f';
    await jetStream.publish(
      'registry.application.deleted.v1',
      Buffer.from(JSON.stringify({ eventId: deletedId, occurredAt: new Date().toISOString(), applicationId: 'app-limited', name: 'limited', owner: 'alice', tokenType: 'OAUTH', throttlingPolicy: 'Unlimited' })),
      { msgID: deletedId },
    );
    const limitedOwner = basic('limited', secrets.limited);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      state = (await post(url('/introspect'), form({ token: limitedToken }), { authorization: limitedOwner })).json;
      if ((state as { active: boolean }).active === false) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state).toEqual({ active: false });
  });

  it('publishes one tokens.issued.v1 per successful token response, and tokens.revoked.v1', async () => {
    // Events, not messages: concurrent responses' events travel packed (EVENTS_PER_MESSAGE).
    const issuedOnStream = async () =>
      (await tokenStreamMessages(cluster)).filter((message) => message.subject === 'tokens.issued.v1').reduce((sum, message) => sum + message.events.length, 0);
    await waitFor(async () => (await issuedOnStream()) >= issued.total, 15_000, 'every tokens.issued.v1 on the stream', 200);
    // Anything published late (a duplicate) would show half a second later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const subjects = (await tokenStreamMessages(cluster)).flatMap((message) => message.events.map((event) => Object.assign({ subject: message.subject }, event)));
    const issuedEvents = subjects.filter((event) => event.subject === 'tokens.issued.v1');
    expect(issuedEvents.length).toBe(issued.total);
    expect(issuedEvents.filter((event) => event.reused).length).toBe(issued.reused);
    expect(issuedEvents.filter((event) => event.grantType === 'refresh_token').every((event) => event.username === 'bob')).toBe(true);
    const reasons = subjects.filter((event) => event.subject === 'tokens.revoked.v1').map((event) => event.reason);
    expect(reasons).toEqual(expect.arrayContaining(['refresh_token_reuse', 'revoked_by_client', 'secret_regenerated', 'application_deleted']));
  });

  it('never writes secrets or tokens to its log or its database', async () => {
    const log = readFileSync(join(cluster.dataDir, 'logs', 'token-service.log'), 'utf8');
    expect(log).toContain('"path":"/token"');
    for (const secret of [...Object.values(secrets), 'bob-password', 'eve-password', ...seenTokens]) expect(log).not.toContain(secret);
    const dump = await storeContents(cluster, 'token');
    expect(seenTokens.size).toBeGreaterThan(10);
    for (const seen of seenTokens) expect(dump).not.toContain(seen);
  });

  it('never answers random input on /token, /revoke and /introspect with a 5xx', async () => {
    // Seeded generator (mulberry32): a failure reproduces.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const fuzzSecret = registry.addClient({ consumerKey: 'fuzz', tokenType: 'OAUTH', grantTypes: ['client_credentials', 'password', 'refresh_token'] });
    const names = ['grant_type', 'client_id', 'client_secret', 'scope', 'validity_period', 'username', 'password', 'refresh_token', 'token', 'token_type_hint', '__proto__', 'constructor', 'x'];
    const values = ['client_credentials', 'password', 'refresh_token', 'fuzz', fuzzSecret, '', ' ', '-1', '0', '1e9', '3600', 'a b', '\u0000', '%', 'ü', 'x'.repeat(5000), '{"a":1}', 'bob', 'bob-password'];
    const authorizations = [undefined, basic('fuzz', fuzzSecret), basic('fuzz', 'wrong'), 'Basic', 'Basic ====', 'bAsIc Zm9vOg==', 'Bearer x', `Basic ${Buffer.from('%:%').toString('base64')}`];
    const contentTypes = ['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data'];
    const statuses = new Set<number>();
    for (let round = 0; round < 150; round += 1) {
      const entries = Array.from({ length: Math.floor(random() * 5) }, () => [pick(names), pick(values)] as const);
      const contentType = pick(contentTypes);
      const body = contentType.startsWith('application/json')
        ? pick([JSON.stringify(Object.fromEntries(entries)), JSON.stringify(entries), '{', 'null', '"x"', JSON.stringify({ grant_type: [1], scope: { a: 1 } })])
        : entries.map(([name, value]) => `${encodeURIComponent(name)}=${random() < 0.2 ? value : encodeURIComponent(value)}`).join('&');
      const authorization = pick(authorizations);
      const path = pick(['/token', '/oauth2/revoke', '/oauth2/introspect']) + (random() < 0.1 ? '?client_secret=x' : '');
      const reply = await post(url(path), body, { 'content-type': contentType, ...(authorization ? { authorization } : {}) });
      statuses.add(reply.status);
      expect({ path, body: body.slice(0, 200), status: reply.status < 500 ? 'ok' : reply.status }).toEqual({ path, body: body.slice(0, 200), status: 'ok' });
      if (reply.status >= 400) expect(typeof reply.json?.error).toBe('string');
    }
    expect(statuses.size).toBeGreaterThan(2);
  });
});
