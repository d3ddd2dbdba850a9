import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryApi } from '../bench/keymint-api';
import { CLIENT_AUTH, makeCertificate, TestCertificate, thumbprintOf } from './support/certificates';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http, HttpResult } from './support/http';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
/** The header a TLS-terminating proxy puts the client certificate in (MTLS_CLIENT_CERT_HEADER). */
const CERT_HEADER = 'X-SSL-Client-Cert';

// The operator's CA, the certificates it issues, and what an attacker may hold.
const ca = makeCertificate({ subject: 'CN=keymint test client CA,O=Example', ca: true });
const strangerCa = makeCertificate({ subject: 'CN=Someone Else CA,O=Elsewhere', ca: true });
const DN = 'CN=billing-service,OU=Payments,O=Example,C=US';
const issued = makeCertificate({ subject: DN, issuer: ca, extendedKeyUsage: [CLIENT_AUTH] });
const renewedIssued = makeCertificate({ subject: DN, issuer: ca, extendedKeyUsage: [CLIENT_AUTH] });
const otherDn = makeCertificate({ subject: 'CN=reporting-service,OU=Payments,O=Example,C=US', issuer: ca });
const sameDnOtherCa = makeCertificate({ subject: DN, issuer: strangerCa });
const selfSigned = makeCertificate({ subject: 'CN=self-signed billing' });
const otherSelfSigned = makeCertificate({ subject: 'CN=self-signed billing' });

/** An HTTPS request to the token service, presenting `certificate` in the TLS handshake (mutual TLS) when given. */
function https(cluster: TestCluster, path: string, body: Record<string, string>, options: { certificate?: TestCertificate; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return http(`https://127.0.0.1:${cluster.httpsPort('token-service')}${path}`, {
    method: 'POST',
    headers: { ...FORM, ...options.headers },
    body: new URLSearchParams(body).toString(),
    certificate: options.certificate,
  });
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
const descriptionOf = (result: HttpResult) => result.json<{ error_description: string }>().error_description;

interface Client {
  applicationId: string;
  keyMappingId: string;
  consumerKey: string;
  consumerSecret: string;
}

describe('mutual TLS (RFC 8705)', () => {
  let cluster: TestCluster;
  let caDir: string;
  let registry: RegistryApi;

  const keysApi = (path: string, method: string, body?: unknown) =>
    http(cluster.url('application-registry', `/api/am/devportal/v2${path}`), {
      method,
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function client(name: string, tokenType: 'OAUTH' | 'JWT', key: Record<string, unknown>, grantTypes = ['client_credentials']): Promise<Client> {
    const applicationId = await registry.createApplication(name, tokenType);
    const generated = await keysApi(`/applications/${applicationId}/generate-keys`, 'POST', { keyType: 'PRODUCTION', grantTypesToBeSupported: grantTypes, ...key });
    expect({ name, status: generated.status }).toEqual({ name, status: 200 });
    return { applicationId, ...generated.json<Omit<Client, 'applicationId'>>() };
  }

  const jwkOf = (certificate: TestCertificate) => certificate.publicKey.export({ format: 'jwk' });
  const introspect = async (token: string, as: Client) =>
    (await http(cluster.url('token-service', '/introspect'), { method: 'POST', headers: { ...FORM, Authorization: basicAuth(as.consumerKey, as.consumerSecret) }, body: new URLSearchParams({ token }).toString() })).json();

  /** The self-signed client introspecting its own token, authenticated by its certificate. */
  const introspectWith = async (certificate: TestCertificate, token: string) =>
    (await https(cluster, '/introspect', { client_id: selfSignedClient.consumerKey, token }, { certificate })).json();

  let pki: Client;
  let pkiOpaque: Client;
  let selfSignedClient: Client;
  let secretClient: Client;

  beforeAll(async () => {
    caDir = mkdtempSync(join(tmpdir(), 'keymint-mtls-e2e-'));
    writeFileSync(join(caDir, 'trusted-ca.pem'), ca.pem);
    // TRUST_PROXY names no address the tests connect from: a certificate header they send is an attacker's.
    cluster = await startTestCluster({
      env: { MTLS_TRUSTED_CA: join(caDir, 'trusted-ca.pem'), MTLS_CLIENT_CERT_HEADER: CERT_HEADER, TRUST_PROXY: '192.0.2.7' },
    });
    registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    pki = await client('pki-jwt', 'JWT', { tokenEndpointAuthMethods: ['tls_client_auth'], tlsClientAuthSubjectDn: 'cn=Billing-Service, ou=Payments, o=Example, c=US' });
    pkiOpaque = await client('pki-opaque', 'OAUTH', { tokenEndpointAuthMethods: ['tls_client_auth', 'client_secret_basic'], tlsClientAuthSubjectDn: DN });
    selfSignedClient = await client('self-signed', 'OAUTH', { tokenEndpointAuthMethods: ['self_signed_tls_client_auth'], jwks: { keys: [{ ...jwkOf(selfSigned), x5c: [selfSigned.certificate.raw.toString('base64')] }] } });
    secretClient = await client('secret', 'OAUTH', {}, ['client_credentials', 'password', 'refresh_token']);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
  });

  const grant = (as: Client, extra: Record<string, string> = {}) => ({ grant_type: 'client_credentials', client_id: as.consumerKey, ...extra });

  it('tls_client_auth: a certificate the trusted CA issued for the registered DN gets a token bound to it (JWT cnf, and introspection of an opaque one)', async () => {
    const issuedToken = await https(cluster, '/token', grant(pki), { certificate: issued });
    expect(issuedToken.status).toBe(200);
    const body = issuedToken.json<{ access_token: string; token_type: string }>();
    expect(body.token_type).toBe('Bearer');
    expect(claimsOf(body.access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(issued) });

    const opaque = await https(cluster, '/oauth2/token', grant(pkiOpaque), { certificate: issued });
    expect(opaque.status).toBe(200);
    expect(await introspect(opaque.json<{ access_token: string }>().access_token, pkiOpaque)).toMatchObject({
      active: true,
      client_id: pkiOpaque.consumerKey,
      token_type: 'Bearer',
      cnf: { 'x5t#S256': thumbprintOf(issued) },
    });
    // A renewed certificate (same DN, same CA) authenticates too, and binds the new tokens to itself.
    const renewed = await https(cluster, '/token', grant(pki), { certificate: renewedIssued });
    expect(claimsOf(renewed.json<{ access_token: string }>().access_token).cnf).toEqual({ 'x5t#S256': thumbprintOf(renewedIssued) });
  });

  it('tls_client_auth refuses another DN, the same DN from an untrusted CA, a self-signed certificate, and client_id without a certificate', async () => {
    const cases: Array<[string, TestCertificate | undefined, RegExp]> = [
      ['another DN of the trusted CA', otherDn, /subject DN \(CN=reporting-service,OU=Payments,O=Example,C=US\) is not the key's registered tlsClientAuthSubjectDn/],
      ['the DN from an untrusted CA', sameDnOtherCa, /not issued by a certificate authority this server trusts/],
      ['a self-signed certificate of the DN', makeCertificate({ subject: DN }), /not issued by a certificate authority this server trusts/],
      ['no certificate', undefined, /client_id alone authenticates only with a client certificate/],
    ];
    for (const [name, certificate, reason] of cases) {
      const refused = await https(cluster, '/token', grant(pki), { certificate });
      expect({ name, status: refused.status, error: refused.json().error, description: descriptionOf(refused) }).toEqual({
        name,
        status: 401,
        error: 'invalid_client',
        description: expect.stringMatching(reason),
      });
      expect(refused.headers['www-authenticate']).toBe('Basic realm="keymint"');
    }
  });

  it('self_signed_tls_client_auth: the registered certificate gets a bound token, another one (even of the same name) is refused', async () => {
    const accepted = await https(cluster, '/token', grant(selfSignedClient), { certificate: selfSigned });
    expect(accepted.status).toBe(200);
    expect(await introspectWith(selfSigned, accepted.json<{ access_token: string }>().access_token)).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });
    const refused = await https(cluster, '/token', grant(selfSignedClient), { certificate: otherSelfSigned });
    expect({ status: refused.status, description: descriptionOf(refused) }).toEqual({ status: 401, description: 'The client certificate is not one the key registered (jwks).' });
    // The CA-issued certificate is not registered for this key either.
    expect((await https(cluster, '/token', grant(selfSignedClient), { certificate: issued })).status).toBe(401);
  });

  it('refuses a certificate for a key that allows neither mutual-TLS method', async () => {
    const refused = await https(cluster, '/token', grant(secretClient), { certificate: issued });
    expect({ status: refused.status, description: descriptionOf(refused) }).toEqual({
      status: 401,
      description: 'This client may not authenticate with a client certificate (its key allows neither tls_client_auth nor self_signed_tls_client_auth).',
    });
  });

  it('binds the token of a client that authenticates with its secret and presents a certificate; one without a certificate gets a bearer token as before', async () => {
    const basic = { Authorization: basicAuth(secretClient.consumerKey, secretClient.consumerSecret) };
    const bound = await https(cluster, '/token', { grant_type: 'client_credentials' }, { certificate: selfSigned, headers: basic });
    expect(bound.status).toBe(200);
    expect(bound.json().token_type).toBe('Bearer');
    expect(await introspect(bound.json<{ access_token: string }>().access_token, secretClient)).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });

    for (const plain of [await https(cluster, '/token', { grant_type: 'client_credentials' }, { headers: basic }), await http(cluster.url('token-service', '/token'), { method: 'POST', headers: { ...FORM, ...basic }, body: 'grant_type=client_credentials' })]) {
      expect(plain.status).toBe(200);
      expect(plain.json()).toMatchObject({ token_type: 'Bearer' });
      expect(await introspect(plain.json<{ access_token: string }>().access_token, secretClient)).not.toHaveProperty('cnf');
    }
  });

  it('never hands a reused token to a request with another certificate or without one (WSO2 reuse)', async () => {
    const basic = { Authorization: basicAuth(pkiOpaque.consumerKey, pkiOpaque.consumerSecret) };
    const token = async (certificate?: TestCertificate) => {
      const answer = await https(cluster, '/token', { grant_type: 'client_credentials', scope: 'default' }, { certificate, headers: basic });
      expect(answer.status).toBe(200);
      return answer.json<{ access_token: string }>().access_token;
    };
    const bearer = await token();
    const first = await token(issued);
    const second = await token(renewedIssued);
    expect(await token()).toBe(bearer);
    expect(await token(issued)).toBe(first);
    expect(await token(renewedIssued)).toBe(second);
    expect(new Set([bearer, first, second]).size).toBe(3);
    expect(await introspect(first, pkiOpaque)).toMatchObject({ cnf: { 'x5t#S256': thumbprintOf(issued) } });
    expect(await introspect(second, pkiOpaque)).toMatchObject({ cnf: { 'x5t#S256': thumbprintOf(renewedIssued) } });
    expect(await introspect(bearer, pkiOpaque)).not.toHaveProperty('cnf');
  });

  it('takes a certificate-bound refresh token with its own certificate only', async () => {
    const basic = { Authorization: basicAuth(secretClient.consumerKey, secretClient.consumerSecret) };
    const signIn = await https(cluster, '/token', { grant_type: 'password', username: cluster.admin.username, password: cluster.admin.password }, { certificate: selfSigned, headers: basic });
    expect(signIn.status).toBe(200);
    const refreshToken = signIn.json<{ refresh_token: string }>().refresh_token;
    expect(await introspect(refreshToken, secretClient)).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });

    for (const certificate of [otherSelfSigned, undefined]) {
      const refused = await https(cluster, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { certificate, headers: basic });
      expect({ status: refused.status, error: refused.json().error, description: descriptionOf(refused) }).toEqual({
        status: 400,
        error: 'invalid_grant',
        description: 'The refresh token is bound to a client certificate: present that certificate.',
      });
    }
    // Refused without being used up: with its certificate it still works, and the new tokens stay bound.
    const refreshed = await https(cluster, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, { certificate: selfSigned, headers: basic });
    expect(refreshed.status).toBe(200);
    const { access_token: access, refresh_token: next } = refreshed.json<{ access_token: string; refresh_token: string }>();
    expect(await introspect(access, secretClient)).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });
    expect(await introspect(next, secretClient)).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });
  });

  it("is no Bearer credential at keymint's own APIs, which check no certificate", async () => {
    const basic = { Authorization: basicAuth(secretClient.consumerKey, secretClient.consumerSecret) };
    const signIn = (certificate?: TestCertificate) =>
      https(cluster, '/token', { grant_type: 'password', username: cluster.admin.username, password: cluster.admin.password }, { certificate, headers: basic });
    const atRegistry = async (token: string) => (await http(cluster.url('application-registry', '/api/am/devportal/v2/applications'), { headers: { Authorization: `Bearer ${token}` } })).status;
    // The key grants no apim:* scope: a bearer token is known (403), a bound one is no credential at all (401).
    expect(await atRegistry((await signIn()).json<{ access_token: string }>().access_token)).toBe(403);
    expect(await atRegistry((await signIn(selfSigned)).json<{ access_token: string }>().access_token)).toBe(401);
  });

  it('authenticates /revoke and /introspect with mutual TLS', async () => {
    const token = (await https(cluster, '/token', grant(selfSignedClient), { certificate: selfSigned })).json<{ access_token: string }>().access_token;
    const introspected = await https(cluster, '/introspect', { client_id: selfSignedClient.consumerKey, token }, { certificate: selfSigned });
    expect(introspected.json()).toMatchObject({ active: true, client_id: selfSignedClient.consumerKey, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });
    expect((await https(cluster, '/oauth2/introspect', { client_id: selfSignedClient.consumerKey, token }, { certificate: otherSelfSigned })).status).toBe(401);
    expect((await https(cluster, '/revoke', { client_id: selfSignedClient.consumerKey, token }, { certificate: otherSelfSigned })).status).toBe(401);
    expect((await https(cluster, '/revoke', { client_id: selfSignedClient.consumerKey, token }, { certificate: selfSigned })).status).toBe(200);
    expect((await https(cluster, '/introspect', { client_id: selfSignedClient.consumerKey, token }, { certificate: selfSigned })).json()).toEqual({ active: false });
  });

  it('ignores a certificate header from anyone but a proxy TRUST_PROXY names, and takes it from one', async () => {
    const escaped = encodeURIComponent(selfSigned.pem);
    // Straight to the service (over plain HTTP or TLS): the header is the caller's own words, not a proxy's.
    const direct = await http(cluster.url('token-service', '/token'), { method: 'POST', headers: { ...FORM, [CERT_HEADER]: escaped }, body: new URLSearchParams(grant(selfSignedClient)).toString() });
    expect({ status: direct.status, description: descriptionOf(direct) }).toEqual({ status: 401, description: expect.stringMatching(/and the request presented none/) });
    const overTls = await https(cluster, '/token', grant(selfSignedClient), { headers: { [CERT_HEADER]: escaped } });
    expect(overTls.status).toBe(401);
    // Nor does it bind a token to a certificate the caller does not hold.
    const basic = { Authorization: basicAuth(secretClient.consumerKey, secretClient.consumerSecret) };
    const unbound = await http(cluster.url('token-service', '/token'), { method: 'POST', headers: { ...FORM, ...basic, [CERT_HEADER]: escaped }, body: 'grant_type=client_credentials' });
    expect(await introspect(unbound.json<{ access_token: string }>().access_token, secretClient)).not.toHaveProperty('cnf');

    // A token service behind a TLS-terminating proxy on this machine (TRUST_PROXY=loopback): the header is the client's
    // certificate. A process of its own, with a DATA_DIR of its own: on SQLite one process serves a store.
    const proxied = await cluster.addReplica('token-service', { TRUST_PROXY: 'loopback', DATA_DIR: join(cluster.dataDir, 'proxied-token-service') });
    const viaProxy = (headers: Record<string, string>, body: Record<string, string>, path = '/token') =>
      http(`${proxied.baseUrl}${path}`, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(body).toString() });
    const accepted = await viaProxy({ [CERT_HEADER]: escaped }, grant(selfSignedClient));
    expect(accepted.status).toBe(200);
    const introspected = await viaProxy({ [CERT_HEADER]: escaped }, { client_id: selfSignedClient.consumerKey, token: accepted.json<{ access_token: string }>().access_token }, '/introspect');
    expect(introspected.json()).toMatchObject({ active: true, cnf: { 'x5t#S256': thumbprintOf(selfSigned) } });
    // HAProxy's base64 DER is read too; an unreadable header is the proxy's mistake, said as such.
    expect((await viaProxy({ [CERT_HEADER]: selfSigned.certificate.raw.toString('base64') }, grant(selfSignedClient))).status).toBe(200);
    const garbled = await viaProxy({ [CERT_HEADER]: 'not%20a%20certificate' }, grant(selfSignedClient));
    expect({ status: garbled.status, description: descriptionOf(garbled) }).toEqual({ status: 400, description: expect.stringMatching(/x-ssl-client-cert header holds no readable certificate/) });
    // nginx sends an empty header for a client without a certificate.
    expect((await viaProxy({ [CERT_HEADER]: '' }, grant(selfSignedClient))).status).toBe(401);
  });

  it('lets the analytics count tokens by mutual-TLS method and as certificate-bound', async () => {
    const admin = { Authorization: cluster.adminAuthorization() };
    const served = async (query: Record<string, string>) => {
      const series = await http(cluster.url('analytics', `/api/analytics/v1/token-issuance?${new URLSearchParams({ granularity: 'day', ...query })}`), { headers: admin });
      expect(series.status).toBe(200);
      return series.json<{ list: Array<{ served: number }> }>().list.reduce((sum, point) => sum + point.served, 0);
    };
    const counts = async () => ({
      tls: await served({ applicationId: pki.applicationId, clientAuthMethod: 'tls_client_auth' }),
      tlsBound: await served({ applicationId: pki.applicationId, tokenBinding: 'mtls' }),
      selfSigned: await served({ applicationId: selfSignedClient.applicationId, clientAuthMethod: 'self_signed_tls_client_auth' }),
      secretBearer: await served({ applicationId: secretClient.applicationId, clientAuthMethod: 'client_secret_basic', tokenBinding: 'bearer' }),
    });
    const deadline = Date.now() + 15_000;
    let seen = await counts();
    while ((seen.tls < 2 || seen.tlsBound < 2 || seen.selfSigned === 0 || seen.secretBearer === 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await counts();
    }
    // The earlier tests: two tokens of the PKI client (both bound), several of the self-signed one, bearer ones of the secret client.
    expect(seen).toEqual({ tls: 2, tlsBound: 2, selfSigned: expect.any(Number), secretBearer: expect.any(Number) });
    expect(seen.selfSigned).toBeGreaterThan(0);
    expect(seen.secretBearer).toBeGreaterThan(0);
  });

  it('says so in its metadata', async () => {
    const metadata = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json<Record<string, unknown>>();
    expect(metadata).toMatchObject({
      tls_client_certificate_bound_access_tokens: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
      introspection_endpoint_auth_methods_supported: expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']),
    });
    expect(metadata).not.toHaveProperty('mtls_endpoint_aliases');
  });

  it('registers what each method checks against, and refuses a key without it', async () => {
    const applicationId = await registry.createApplication('registration', 'OAUTH');
    const generate = (body: Record<string, unknown>) => keysApi(`/applications/${applicationId}/generate-keys`, 'POST', { keyType: 'SANDBOX', ...body });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ tokenEndpointAuthMethods: ['tls_client_auth'] }, /'tlsClientAuthSubjectDn' is required when 'tokenEndpointAuthMethods' includes tls_client_auth/],
      [{ tokenEndpointAuthMethods: ['self_signed_tls_client_auth'] }, /'jwks' is required when 'tokenEndpointAuthMethods' includes self_signed_tls_client_auth/],
      [{ tokenEndpointAuthMethods: ['tls_client_auth'], tlsClientAuthSubjectDn: 'CN="quoted"' }, /must be an RFC 4514 name/],
      [{ jwks: { keys: [{ ...jwkOf(selfSigned), x5c: [otherSelfSigned.certificate.raw.toString('base64')] }] } }, /x5c\[0\] certifies another key/],
    ];
    for (const [body, reason] of cases) {
      const refused = await generate(body);
      expect({ body, status: refused.status, description: refused.json<{ description: string }>().description }).toEqual({ body, status: 400, description: expect.stringMatching(reason) });
    }
    const made = await generate({ tokenEndpointAuthMethods: ['tls_client_auth'], tlsClientAuthSubjectDn: 'CN=a,O=Example' });
    expect(made.json()).toMatchObject({ tokenEndpointAuthMethods: ['tls_client_auth'], tlsClientAuthSubjectDn: 'CN=a,O=Example' });
    const keyPath = `/applications/${applicationId}/oauth-keys/${made.json<{ keyMappingId: string }>().keyMappingId}`;
    expect((await keysApi(keyPath, 'PUT', { tlsClientAuthSubjectDn: '' })).status).toBe(400);
    expect((await keysApi(keyPath, 'PUT', { tlsClientAuthSubjectDn: 'CN=b,O=Example' })).json()).toMatchObject({ tlsClientAuthSubjectDn: 'CN=b,O=Example' });
    expect((await keysApi(keyPath, 'GET')).json()).toMatchObject({ tlsClientAuthSubjectDn: 'CN=b,O=Example' });
    expect((await keysApi(keyPath, 'PUT', { tokenEndpointAuthMethods: ['client_secret_basic'], tlsClientAuthSubjectDn: '' })).json()).toMatchObject({ tlsClientAuthSubjectDn: null });
  });
});
