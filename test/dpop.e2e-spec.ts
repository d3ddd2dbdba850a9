import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { DpopNonces } from '../apps/token-service/src/dpop/dpop-nonces';
import { tokenEncryptionKey } from '../apps/token-service/src/minting/token-cipher';
import { RegistryApi } from '../bench/keymint-api';
import { startTestCluster, TestCluster } from './support/cluster';
import { dpopProof, DpopProofOptions, publicJwk, thumbprint } from './support/dpop';
import { basicAuth, http, HttpResult } from './support/http';
import { postgresTestCluster } from './support/postgres';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scope: string;
}

/** A key of a new application (JWT or opaque tokens) with every grant, made through the registry as a user would. */
async function dpopClient(cluster: TestCluster, name: string, tokenType: 'JWT' | 'OAUTH', keyFields: Record<string, unknown> = {}) {
  const applicationId = await new RegistryApi(cluster.url('application-registry'), cluster.admin).createApplication(name, tokenType);
  const generated = await keysApi(cluster, `/applications/${applicationId}/generate-keys`, 'POST', {
    keyType: 'PRODUCTION',
    grantTypesToBeSupported: ['client_credentials', 'password', 'refresh_token'],
    ...keyFields,
  });
  expect(generated.status).toBe(200);
  const key = generated.json<{ consumerKey: string; consumerSecret: string; keyMappingId: string; requireDpop: boolean }>();
  return { applicationId, ...key, basic: basicAuth(key.consumerKey, key.consumerSecret) };
}

function keysApi(cluster: TestCluster, path: string, method: string, body?: unknown): Promise<HttpResult> {
  return http(cluster.url('application-registry', `/api/am/devportal/v2${path}`), {
    method,
    headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** POST /token at `url` with Basic client authentication and the DPoP header(s) given. */
function postToken(url: string, basic: string, parameters: Record<string, string>, dpop?: string | string[]): Promise<HttpResult> {
  return http(url, {
    method: 'POST',
    headers: { ...FORM, Authorization: basic, ...(dpop === undefined ? {} : { DPoP: dpop }) },
    body: new URLSearchParams(parameters).toString(),
  });
}

/** The error of a refused request, with its status and description, for one comparison. */
const refusalOf = (answer: HttpResult) => ({ status: answer.status, ...answer.json<{ error: string; error_description: string }>() });

describe('DPoP (RFC 9449) at the token endpoint', () => {
  let cluster: TestCluster;
  /** The token endpoint as the tests send to it (the plain-HTTP listener): what a proof's htu names. */
  let tokenUrl: string;
  const key = newKey();
  const otherKey = newKey();
  const proof = (privateKey: KeyObject = key, options: Partial<DpopProofOptions> = {}) => dpopProof(privateKey, { htu: tokenUrl, ...options });
  const password = () => ({ grant_type: 'password', username: cluster.admin.username, password: cluster.admin.password });

  beforeAll(async () => {
    cluster = await startTestCluster();
    tokenUrl = cluster.url('token-service', '/token');
  });
  afterAll(() => cluster?.stop());

  it('binds a client_credentials JWT to the proof key: token_type DPoP, cnf.jkt its RFC 7638 thumbprint', async () => {
    const client = await dpopClient(cluster, 'dpop-jwt', 'JWT');
    const issued = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, proof());
    expect(issued.status).toBe(200);
    const token = issued.json<TokenAnswer>();
    expect(token.token_type).toBe('DPoP');
    expect(claimsOf(token.access_token).cnf).toEqual({ jkt: thumbprint(key) });
    // No nonce is required by default: none is handed out.
    expect(issued.headers['dpop-nonce']).toBeUndefined();
    // The same at the other path, and with an Ed25519 or RSA key.
    const atOtherPath = await postToken(cluster.url('token-service', '/oauth2/token'), client.basic, { grant_type: 'client_credentials' }, proof(key, { htu: cluster.url('token-service', '/oauth2/token') }));
    expect(atOtherPath.status).toBe(200);
    for (const other of [generateKeyPairSync('ed25519').privateKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey]) {
      const answer = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, proof(other));
      expect(claimsOf(answer.json<TokenAnswer>().access_token).cnf).toEqual({ jkt: thumbprint(other) });
    }
  });

  it('binds a token for a resource (RFC 8707) too: its aud is the resource, its cnf the key', async () => {
    const orders = 'https://api.example.com/orders';
    const client = await dpopClient(cluster, 'dpop-resource', 'JWT', { resources: [orders] });
    const issued = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials', resource: orders }, proof());
    expect(issued.status).toBe(200);
    expect(claimsOf(issued.json<TokenAnswer>().access_token)).toMatchObject({ aud: orders, cnf: { jkt: thumbprint(key) } });
  });

  it('binds an opaque token too, and introspection says so; a plain bearer client sees no change', async () => {
    const client = await dpopClient(cluster, 'dpop-opaque', 'OAUTH');
    const bound = (await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, proof())).json<TokenAnswer>();
    expect(bound.token_type).toBe('DPoP');
    const introspect = (token: string) => http(cluster.url('token-service', '/introspect'), { method: 'POST', headers: { ...FORM, Authorization: client.basic }, body: new URLSearchParams({ token }).toString() });
    expect((await introspect(bound.access_token)).json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: thumbprint(key) } });

    const bearer = (await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' })).json<TokenAnswer>();
    expect(bearer.token_type).toBe('Bearer');
    const introspected = (await introspect(bearer.access_token)).json();
    expect(introspected).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(introspected).not.toHaveProperty('cnf');
    const jwtClient = await dpopClient(cluster, 'bearer-jwt', 'JWT');
    const jwt = (await postToken(tokenUrl, jwtClient.basic, { grant_type: 'client_credentials' })).json<TokenAnswer>();
    expect(jwt.token_type).toBe('Bearer');
    expect(claimsOf(jwt.access_token)).not.toHaveProperty('cnf');
  });

  it('binds password tokens and their refresh tokens; a refresh needs a proof by the same key', async () => {
    const client = await dpopClient(cluster, 'dpop-password', 'JWT');
    const issued = await postToken(tokenUrl, client.basic, password(), proof());
    expect(issued.status).toBe(200);
    const first = issued.json<TokenAnswer>();
    expect([first.token_type, claimsOf(first.access_token).cnf]).toEqual(['DPoP', { jkt: thumbprint(key) }]);

    // Another key's proof, or none: refused, and the refresh token is neither used up nor its family revoked.
    const refresh = (dpop?: string) => postToken(tokenUrl, client.basic, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, dpop);
    expect(refusalOf(await refresh(proof(otherKey)))).toEqual({ status: 400, error: 'invalid_grant', error_description: 'This refresh token is bound to another DPoP key than the one of the proof.' });
    expect(refusalOf(await refresh())).toEqual({ status: 400, error: 'invalid_grant', error_description: 'This refresh token is bound to a DPoP key: send a DPoP proof signed by that key.' });
    const refreshed = await refresh(proof());
    expect(refreshed.status).toBe(200);
    const second = refreshed.json<TokenAnswer>();
    expect([second.token_type, claimsOf(second.access_token).cnf]).toEqual(['DPoP', { jkt: thumbprint(key) }]);
    // The new refresh token stays bound.
    const next = await postToken(tokenUrl, client.basic, { grant_type: 'refresh_token', refresh_token: second.refresh_token! });
    expect(refusalOf(next).error).toBe('invalid_grant');
  });

  it('binds an unbound refresh family to the key of the first refresh that carries a proof, for good', async () => {
    const client = await dpopClient(cluster, 'dpop-upgrade', 'OAUTH');
    const bearer = (await postToken(tokenUrl, client.basic, password())).json<TokenAnswer>();
    expect(bearer.token_type).toBe('Bearer');
    const upgraded = await postToken(tokenUrl, client.basic, { grant_type: 'refresh_token', refresh_token: bearer.refresh_token! }, proof());
    expect(upgraded.status).toBe(200);
    expect(upgraded.json<TokenAnswer>().token_type).toBe('DPoP');
    const withoutProof = await postToken(tokenUrl, client.basic, { grant_type: 'refresh_token', refresh_token: upgraded.json<TokenAnswer>().refresh_token! });
    expect(refusalOf(withoutProof).error).toBe('invalid_grant');
  });

  it('refuses every bad proof with 400 invalid_dpop_proof and says why', async () => {
    const client = await dpopClient(cluster, 'dpop-attacks', 'JWT');
    const now = Math.floor(Date.now() / 1000);
    const replayed = proof();
    expect((await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, replayed)).status).toBe(200);
    const { port } = new URL(tokenUrl);
    const cases: Array<[string, string | string[], RegExp]> = [
      ['wrong htm', proof(key, { htm: 'GET' }), /htm must be POST/],
      ['htu of another host', proof(key, { htu: `http://attacker.example:${port}/token` }), /htu must be the URI this request was sent to/],
      ['htu of another path', proof(key, { htu: cluster.url('token-service', '/revoke') }), /htu must be the URI/],
      ['stale iat', proof(key, { iat: now - 120 }), /too old/],
      ['future iat', proof(key, { iat: now + 120 }), /iat is in the future/],
      ['replayed jti', replayed, /jti was already used/],
      ['a private key in jwk', proof(key, { header: { jwk: key.export({ format: 'jwk' }) } }), /private key material \('d'\)/],
      ['alg none', proof(key, { alg: 'none', signature: Buffer.alloc(0) }), /alg "none" is not accepted/],
      ['HS256', proof(key, { alg: 'HS256', signature: Buffer.alloc(32, 1) }), /alg "HS256" is not accepted/],
      ['wrong typ', proof(key, { header: { typ: 'JWT' } }), /typ must be dpop\+jwt/],
      ['bad signature', proof(key, { header: { jwk: publicJwk(otherKey) } }), /signature does not verify/],
      ['two DPoP headers', [proof(), proof()], /one DPoP header, not several/],
      ['no jti', proof(key, { claims: { jti: undefined } }), /no jti claim/],
    ];
    const answers = [];
    for (const [name, dpop] of cases) answers.push({ name, ...refusalOf(await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, dpop)) });
    // All at once: a check that lets its attack through shows as that case's answer.
    expect(answers).toEqual(cases.map(([name, , reason]) => ({ name, status: 400, error: 'invalid_dpop_proof', error_description: expect.stringMatching(reason) })));
    // A refresh with a bad proof is refused the same way, before the refresh token is looked at.
    const refresh = await postToken(tokenUrl, client.basic, { grant_type: 'refresh_token', refresh_token: 'x' }, proof(key, { htm: 'GET' }));
    expect(refusalOf(refresh).error).toBe('invalid_dpop_proof');
  });

  it('never hands a reused opaque token across keys, to a request without a proof, or a bearer token to a DPoP request', async () => {
    const client = await dpopClient(cluster, 'dpop-reuse', 'OAUTH');
    const tokenWith = async (dpop?: string) => (await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, dpop)).json<TokenAnswer>();
    const bearer = await tokenWith();
    const ofKey = await tokenWith(proof(key));
    const ofOtherKey = await tokenWith(proof(otherKey));
    expect(new Set([bearer.access_token, ofKey.access_token, ofOtherKey.access_token]).size).toBe(3);
    expect([bearer.token_type, ofKey.token_type, ofOtherKey.token_type]).toEqual(['Bearer', 'DPoP', 'DPoP']);
    // Each is handed out again only to a request of the same binding (WSO2 reuse).
    expect((await tokenWith(proof(otherKey))).access_token).toBe(ofOtherKey.access_token);
    expect((await tokenWith()).access_token).toBe(bearer.access_token);
    expect((await tokenWith(proof(key))).access_token).toBe(ofKey.access_token);
  });

  it('lets a key require DPoP: a request without a proof is refused, at the token endpoint and through generate-token', async () => {
    const client = await dpopClient(cluster, 'dpop-required', 'OAUTH', { requireDpop: true });
    expect(client.requireDpop).toBe(true);
    const shown = await keysApi(cluster, `/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}`, 'GET');
    expect(shown.json()).toMatchObject({ requireDpop: true });
    expect(refusalOf(await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }))).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
      error_description: 'This client must send a DPoP proof with every token request (its key requires DPoP).',
    });
    expect(refusalOf(await postToken(tokenUrl, client.basic, password())).error).toBe('invalid_dpop_proof');
    const generated = await keysApi(cluster, `/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}/generate-token`, 'POST', { consumerSecret: client.consumerSecret });
    expect(generated.status).toBe(400);
    expect(generated.json<{ description: string }>().description).toMatch(/must send a DPoP proof/);
    expect((await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, proof())).json<TokenAnswer>().token_type).toBe('DPoP');

    // Turned off: bearer tokens again, once the token service has the key's new record.
    const updated = await keysApi(cluster, `/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}`, 'PUT', { requireDpop: false });
    expect(updated.json()).toMatchObject({ requireDpop: false });
    const deadline = Date.now() + 5000;
    let plain = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' });
    while (plain.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      plain = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' });
    }
    expect(plain.json<TokenAnswer>().token_type).toBe('Bearer');
    const refused = await keysApi(cluster, `/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}`, 'PUT', { requireDpop: 'yes' });
    expect([refused.status, refused.json<{ description: string }>().description]).toEqual([400, "'requireDpop' must be true or false."]);
  });

  it('keeps a DPoP-bound token out of keymint\'s own APIs, which take bearer tokens only', async () => {
    const client = await dpopClient(cluster, 'dpop-own-apis', 'OAUTH');
    const bound = (await postToken(tokenUrl, client.basic, password(), proof())).json<TokenAnswer>();
    const bearer = (await postToken(tokenUrl, client.basic, password())).json<TokenAnswer>();
    const applications = cluster.url('application-registry', '/api/am/devportal/v2/applications');
    // The bearer token authenticates its user (403: its scopes give no devportal access); the bound one is no credential at all.
    expect((await http(applications, { headers: { Authorization: `Bearer ${bearer.access_token}` } })).status).not.toBe(401);
    expect((await http(applications, { headers: { Authorization: `Bearer ${bound.access_token}` } })).status).toBe(401);
    expect((await http(cluster.url('analytics', '/api/analytics/v1/summary'), { headers: { Authorization: `Bearer ${bound.access_token}` } })).status).toBe(401);
  });

  it('counts DPoP-bound tokens in the analytics, and says so in its metadata', async () => {
    const admin = { Authorization: cluster.adminAuthorization() };
    const summary = async () => (await http(cluster.url('analytics', '/api/analytics/v1/summary'), { headers: admin })).json<{ tokenBindings: Record<string, { minted: number }> }>();
    const deadline = Date.now() + 15_000;
    let bindings = (await summary()).tokenBindings;
    while (bindings.dpop.minted === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      bindings = (await summary()).tokenBindings;
    }
    expect(bindings.dpop.minted).toBeGreaterThan(0);
    expect(bindings.bearer.minted).toBeGreaterThan(0);
    const metadata = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json();
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
  });
});

describe('DPoP with server nonces (DPOP_NONCE_REQUIRED)', () => {
  let cluster: TestCluster;
  let tokenUrl: string;
  const key = newKey();

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'], env: { DPOP_NONCE_REQUIRED: 'true' } });
    tokenUrl = cluster.url('token-service', '/token');
  });
  afterAll(() => cluster?.stop());

  it('answers use_dpop_nonce with a DPoP-Nonce header, takes the proof with it, and hands out the next nonce', async () => {
    const client = await dpopClient(cluster, 'nonce-client', 'JWT');
    const asked = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, dpopProof(key, { htu: tokenUrl }));
    expect(refusalOf(asked)).toEqual({ status: 400, error: 'use_dpop_nonce', error_description: expect.stringMatching(/requires a nonce/) });
    const nonce = asked.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const issued = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, dpopProof(key, { htu: tokenUrl, claims: { nonce } }));
    expect(issued.status).toBe(200);
    expect(issued.json<TokenAnswer>().token_type).toBe('DPoP');
    expect(issued.headers['dpop-nonce']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A bearer request needs no nonce and gets none.
    const bearer = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' });
    expect([bearer.status, bearer.headers['dpop-nonce']]).toEqual([200, undefined]);
  });

  it('refuses a forged nonce, a stale one (made with the service\'s own key three minutes ago) and one of another key', async () => {
    const client = await dpopClient(cluster, 'stale-nonce-client', 'JWT');
    // The key the service generated into its DATA_DIR at its first start.
    const sharedSecret = tokenEncryptionKey(undefined, cluster.dataDir);
    const stale = new DpopNonces(sharedSecret).current(Date.now() - 180_000);
    const foreign = new DpopNonces(Buffer.alloc(32, 7)).current();
    for (const nonce of ['forged-nonce', stale, foreign]) {
      const before = new DpopNonces(sharedSecret).current();
      const refused = await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, dpopProof(key, { htu: tokenUrl, claims: { nonce } }));
      expect(refusalOf(refused)).toEqual({ status: 400, error: 'use_dpop_nonce', error_description: expect.stringMatching(/not a current one/) });
      // The service's nonce is the HMAC of this minute under its key: what the test computes too.
      expect([before, new DpopNonces(sharedSecret).current()]).toContain(refused.headers['dpop-nonce']);
    }
    const current = new DpopNonces(sharedSecret).current();
    expect((await postToken(tokenUrl, client.basic, { grant_type: 'client_credentials' }, dpopProof(key, { htu: tokenUrl, claims: { nonce: current } }))).status).toBe(200);
  });
});

describe('DPoP across token-service replicas on PostgreSQL', () => {
  const postgres = postgresTestCluster({ services: ['application-registry', 'token-service'], env: { DPOP_NONCE_REQUIRED: 'true' } });

  it('accepts one proof once, even sent to two replicas at the same instant; a nonce of one replica is good on the other', async () => {
    const { cluster } = postgres;
    if (!cluster) return;
    const replica = await cluster.addReplica('token-service');
    const client = await dpopClient(cluster, 'replicated-dpop', 'OAUTH');
    const key = newKey();
    // Sent to two listeners: the htu both take is the public origin's (ISSUER's), as behind a load balancer.
    const issuer = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json<{ issuer: string }>().issuer;
    const publicTokenUrl = `${new URL(issuer).origin}/token`;
    const urls = [cluster.url('token-service', '/token'), `${replica.baseUrl}/token`];
    const nonce = (await postToken(urls[0], client.basic, { grant_type: 'client_credentials' }, dpopProof(key, { htu: publicTokenUrl }))).headers['dpop-nonce'] as string;
    expect(nonce).toBeTruthy();
    for (let round = 0; round < 5; round += 1) {
      const once = dpopProof(key, { htu: publicTokenUrl, claims: { nonce } });
      const answers = await Promise.all(urls.map((url) => postToken(url, client.basic, { grant_type: 'client_credentials' }, once)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expect(answers.map((answer) => (answer.status === 200 ? 'ok' : answer.json<{ error_description: string }>().error_description))).toContain(
        'The DPoP proof jti was already used: make a new proof for every request.',
      );
    }
  }, 60_000);
});
