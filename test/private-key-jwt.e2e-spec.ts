import { generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import { RegistryApi } from '../bench/keymint-api';
import { startTestCluster, TestCluster } from './support/cluster';
import { http, HttpResult } from './support/http';
import { postgresTestCluster } from './support/postgres';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The cluster's issuer (its metadata's), which an assertion's aud names. */
let issuer = '';

/** A client assertion as a client builds it with node:crypto alone (docs/token-api.md shows the same). */
function assertion(consumerKey: string, key: KeyObject, options: { kid?: string; alg?: string; claims?: Record<string, unknown> } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const alg = options.alg ?? 'ES256';
  const header = { alg, typ: 'JWT', ...(options.kid ? { kid: options.kid } : {}) };
  const payload = { iss: consumerKey, sub: consumerKey, aud: issuer, iat: now, exp: now + 60, jti: randomUUID(), ...options.claims };
  const data = `${b64(header)}.${b64(payload)}`;
  const signature = alg === 'none' ? Buffer.alloc(0) : sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
  return `${data}.${signature.toString('base64url')}`;
}

async function keysApi(cluster: TestCluster, path: string, method: string, body?: unknown): Promise<HttpResult> {
  return http(cluster.url('application-registry', `/api/am/devportal/v2${path}`), {
    method,
    headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** An application whose PRODUCTION key authenticates with private_key_jwt only (or with the methods given). */
async function assertionClient(cluster: TestCluster, name: string, publicKey: KeyObject, kid: string, methods = ['private_key_jwt']) {
  issuer = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json<{ issuer: string }>().issuer;
  const applicationId = await new RegistryApi(cluster.url('application-registry'), cluster.admin).createApplication(name, 'OAUTH');
  const generated = await keysApi(cluster, `/applications/${applicationId}/generate-keys`, 'POST', {
    keyType: 'PRODUCTION',
    grantTypesToBeSupported: ['client_credentials'],
    tokenEndpointAuthMethods: methods,
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] },
  });
  expect(generated.status).toBe(200);
  const body = generated.json<{ consumerKey: string; consumerSecret: string; keyMappingId: string; tokenEndpointAuthMethods: string[] }>();
  expect(body.tokenEndpointAuthMethods).toEqual(methods);
  return { applicationId, ...body };
}

describe('private_key_jwt (RFC 7523)', () => {
  let cluster: TestCluster;
  const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let client: Awaited<ReturnType<typeof assertionClient>>;

  beforeAll(async () => {
    cluster = await startTestCluster();
    client = await assertionClient(cluster, 'signed-client', keyPair.publicKey, 'key-2026');
  });
  afterAll(() => cluster?.stop());

  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    http(cluster.url('token-service', path), { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(body).toString() });
  const withAssertion = (jwt: string, extra: Record<string, string> = {}) => ({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt, ...extra });

  it('gives a client that holds only a private key tokens, and lets it introspect and revoke them', async () => {
    const issued = await post('/token', withAssertion(assertion(client.consumerKey, keyPair.privateKey, { kid: 'key-2026' }), { grant_type: 'client_credentials' }));
    expect(issued.status).toBe(200);
    const token = issued.json<{ access_token: string }>().access_token;
    const introspected = await post('/introspect', withAssertion(assertion(client.consumerKey, keyPair.privateKey), { token }));
    expect(introspected.json()).toMatchObject({ active: true, client_id: client.consumerKey });
    expect((await post('/revoke', withAssertion(assertion(client.consumerKey, keyPair.privateKey), { token }))).status).toBe(200);
    const after = await post('/introspect', withAssertion(assertion(client.consumerKey, keyPair.privateKey), { token }));
    expect(after.json()).toEqual({ active: false });
  });

  it('refuses a replayed assertion, a wrong aud, an expired one, alg none, an unknown kid and a key it does not know', async () => {
    const once = assertion(client.consumerKey, keyPair.privateKey);
    expect((await post('/token', withAssertion(once, { grant_type: 'client_credentials' }))).status).toBe(200);
    const cases: Array<[string, string, number, RegExp]> = [
      ['replayed', once, 401, /already used/],
      ['wrong aud', assertion(client.consumerKey, keyPair.privateKey, { claims: { aud: 'https://attacker.example/token' } }), 401, /aud must name/],
      ['expired', assertion(client.consumerKey, keyPair.privateKey, { claims: { exp: Math.floor(Date.now() / 1000) - 120 } }), 401, /expired/],
      ['alg none', assertion(client.consumerKey, keyPair.privateKey, { alg: 'none' }), 401, /alg "none"/],
      ['unknown kid', assertion(client.consumerKey, keyPair.privateKey, { kid: 'key-1999' }), 401, /kid "key-1999"/],
      ['a stranger\'s key', assertion(client.consumerKey, stranger.privateKey), 401, /signature does not match/],
      ['iss of another client', assertion(client.consumerKey, keyPair.privateKey, { claims: { iss: 'someone-else' } }), 401, /iss and sub/],
      ['sub of another client than client_id', assertion(client.consumerKey, keyPair.privateKey, { claims: { sub: 'someone-else' } }), 400, /client_id does not match/],
    ];
    for (const [name, jwt, status, reason] of cases) {
      const refused = await post('/token', withAssertion(jwt, { grant_type: 'client_credentials', client_id: client.consumerKey }));
      expect({ name, status: refused.status, description: refused.json<{ error_description: string }>().error_description }).toEqual({
        name,
        status,
        description: expect.stringMatching(reason),
      });
    }
  });

  it('refuses the key\'s secret once the key authenticates with private_key_jwt only', async () => {
    const basic = 'Basic ' + Buffer.from(`${client.consumerKey}:${client.consumerSecret}`).toString('base64');
    const refused = await post('/token', { grant_type: 'client_credentials' }, { Authorization: basic });
    expect(refused.status).toBe(401);
    expect(refused.json<{ error_description: string }>().error_description).toMatch(/may not authenticate with client_secret_basic/);
    // Nor does the devportal's Generate Access Token take the secret instead.
    const generated = await keysApi(cluster, `/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}/generate-token`, 'POST', {
      consumerSecret: client.consumerSecret,
    });
    expect(generated.status).toBe(400);
    expect(generated.json<{ description: string }>().description).toMatch(/does not authenticate with a consumer secret/);
  });

  it('stops taking the old key once the client replaces its JWK Set (key rotation)', async () => {
    const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const replaced = await keysApi(cluster, `/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}`, 'PUT', {
      jwks: { keys: [{ ...next.publicKey.export({ format: 'jwk' }), kid: 'key-2027' }] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json<{ jwks: { keys: Array<{ kid: string }> } }>().jwks.keys.map((key) => key.kid)).toEqual(['key-2027']);
    const deadline = Date.now() + 5000;
    let old = await post('/token', withAssertion(assertion(client.consumerKey, keyPair.privateKey), { grant_type: 'client_credentials' }));
    while (old.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      old = await post('/token', withAssertion(assertion(client.consumerKey, keyPair.privateKey), { grant_type: 'client_credentials' }));
    }
    expect(old.status).toBe(401);
    expect((await post('/token', withAssertion(assertion(client.consumerKey, next.privateKey, { kid: 'key-2027' }), { grant_type: 'client_credentials' }))).status).toBe(200);
  });

  it('registers public keys only, and no private_key_jwt without keys', async () => {
    const applicationId = await new RegistryApi(cluster.url('application-registry'), cluster.admin).createApplication('refused-keys', 'OAUTH');
    const generate = (body: Record<string, unknown>) =>
      keysApi(cluster, `/applications/${applicationId}/generate-keys`, 'POST', { keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'], ...body });
    const privateJwk = keyPair.privateKey.export({ format: 'jwk' });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ tokenEndpointAuthMethods: ['private_key_jwt'], jwks: { keys: [privateJwk] } }, /private or symmetric key material \('d'\)/],
      [{ tokenEndpointAuthMethods: ['private_key_jwt'], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /private or symmetric key material \('k'\)/],
      [{ tokenEndpointAuthMethods: ['private_key_jwt'] }, /'jwks' is required/],
      [{ tokenEndpointAuthMethods: ['client_secret_jwt'] }, /not supported/],
      [{ jwks: { keys: [{ ...keyPair.publicKey.export({ format: 'jwk' }), alg: 'HS256' }] } }, /alg must be one of/],
      [{ jwks: 'not a set' }, /must be a JWK Set/],
    ];
    for (const [body, reason] of cases) {
      const refused = await generate(body);
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
      expect(refused.json<{ description: string }>().description).toMatch(reason);
    }
  });

  it('lets the analytics tell tokens by how their clients authenticated', async () => {
    const mixed = await assertionClient(cluster, 'mixed-client', keyPair.publicKey, 'key-2026', ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    const basic = 'Basic ' + Buffer.from(`${mixed.consumerKey}:${mixed.consumerSecret}`).toString('base64');
    const grant = { grant_type: 'client_credentials' };
    const sent = { client_secret_basic: 2, client_secret_post: 1, private_key_jwt: 3 };
    for (let request = 0; request < sent.client_secret_basic; request += 1) expect((await post('/token', grant, { Authorization: basic })).status).toBe(200);
    for (let request = 0; request < sent.client_secret_post; request += 1) {
      expect((await post('/token', { ...grant, client_id: mixed.consumerKey, client_secret: mixed.consumerSecret })).status).toBe(200);
    }
    for (let request = 0; request < sent.private_key_jwt; request += 1) {
      expect((await post('/token', withAssertion(assertion(mixed.consumerKey, keyPair.privateKey), grant))).status).toBe(200);
    }
    // Per method, the application's tokens handed out (the first one minted, the others the same token again: WSO2 reuse).
    const admin = { Authorization: cluster.adminAuthorization() };
    const servedBy = async (method: string) => {
      const query = new URLSearchParams({ applicationId: mixed.applicationId, clientAuthMethod: method, granularity: 'day' });
      const series = await http(cluster.url('analytics', `/api/analytics/v1/token-issuance?${query}`), { headers: admin });
      expect(series.status).toBe(200);
      return series.json<{ list: Array<{ served: number }> }>().list.reduce((sum, point) => sum + point.served, 0);
    };
    const counted = async () => ({
      client_secret_basic: await servedBy('client_secret_basic'),
      client_secret_post: await servedBy('client_secret_post'),
      private_key_jwt: await servedBy('private_key_jwt'),
    });
    const deadline = Date.now() + 15_000;
    let seen = await counted();
    while (JSON.stringify(seen) !== JSON.stringify(sent) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await counted();
    }
    expect(seen).toEqual(sent);
    const summary = await http(cluster.url('analytics', '/api/analytics/v1/summary'), { headers: admin });
    expect(summary.json<{ clientAuthMethods: Record<string, { served: number }> }>().clientAuthMethods).toMatchObject({
      client_secret_basic: { served: expect.any(Number) },
      private_key_jwt: { served: expect.any(Number) },
      unknown: { minted: 0, served: 0 },
    });
    const bad = await http(cluster.url('analytics', '/api/analytics/v1/token-issuance?clientAuthMethod=client_secret_jwt'), { headers: admin });
    expect(bad.status).toBe(400);
  });

  it('says so in its metadata', async () => {
    const metadata = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json();
    expect(metadata).toMatchObject({
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    });
  });
});

describe('private_key_jwt across token-service replicas on PostgreSQL', () => {
  const postgres = postgresTestCluster();

  it('accepts one assertion once, even sent to two replicas at the same instant', async () => {
    const { cluster } = postgres;
    if (!cluster) return;
    const replica = await cluster.addReplica('token-service');
    const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const client = await assertionClient(cluster, 'replicated-signer', keyPair.publicKey, 'k');
    for (let round = 0; round < 5; round += 1) {
      const jwt = assertion(client.consumerKey, keyPair.privateKey);
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }).toString();
      const answers = await Promise.all(
        [cluster.url('token-service', '/token'), `${replica.baseUrl}/token`].map((url) => http(url, { method: 'POST', headers: FORM, body })),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    }
  }, 60_000);
});
