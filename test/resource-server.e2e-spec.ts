import { ChildProcess, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryApi } from '../bench/keymint-api';
import { makeCertificate, TestCertificate } from './support/certificates';
import { startTestCluster, TestCluster } from './support/cluster';
import { dpopProof } from './support/dpop';
import { http, HttpResult } from './support/http';

const RESOURCE = 'https://api.example.test/orders';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const EXAMPLE = join(__dirname, '..', 'examples', 'resource-server', 'server.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * docs/resource-servers.md's example API (examples/resource-server/server.js), run as the docs say against a
 * real cluster: it takes a token for its resource, bearer or bound, and refuses whatever a thief or another
 * API's client could present instead.
 */
describe('the resource-server example', () => {
  let cluster: TestCluster;
  let example: ChildProcess;
  let dir: string;
  let apiUrl = '';
  const serverCertificate = makeCertificate({ subject: 'CN=localhost' });
  const clientCertificate = makeCertificate({ subject: 'CN=orders-client' });
  const otherCertificate = makeCertificate({ subject: 'CN=orders-client' });
  const dpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const otherDpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  let jwtClient = { basic: '' };
  let opaqueClient = { basic: '' };

  async function clientFor(name: string, tokenType: 'JWT' | 'OAUTH'): Promise<{ basic: string }> {
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication(name, tokenType);
    const generated = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/generate-keys`), {
      method: 'POST',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'], resources: [RESOURCE] }),
    });
    expect(generated.status).toBe(200);
    const { consumerKey, consumerSecret } = generated.json<{ consumerKey: string; consumerSecret: string }>();
    return { basic: `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}` };
  }

  beforeAll(async () => {
    cluster = await startTestCluster();
    jwtClient = await clientFor('orders-jwt-client', 'JWT');
    opaqueClient = await clientFor('orders-opaque-client', 'OAUTH');
    dir = mkdtempSync(join(tmpdir(), 'keymint-resource-server-'));
    writeFileSync(join(dir, 'cert.pem'), serverCertificate.pem);
    writeFileSync(join(dir, 'key.pem'), serverCertificate.keyPem);
    const { issuer } = (await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json<{ issuer: string }>();
    const port = await freePort();
    apiUrl = `https://localhost:${port}`;
    example = spawn(process.execPath, [EXAMPLE], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        PUBLIC_URL: apiUrl,
        RESOURCE,
        KEYMINT_ISSUER: issuer,
        KEYMINT_JWKS_URL: cluster.url('token-service', '/oauth2/jwks'),
        KEYMINT_INTROSPECTION_URL: cluster.url('token-service', '/introspect'),
        KEYMINT_INTROSPECTION_AUTH: `${cluster.admin.username}:${cluster.admin.password}`,
        TLS_CERT: join(dir, 'cert.pem'),
        TLS_KEY: join(dir, 'key.pem'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      example.stdout!.on('data', (chunk: Buffer) => (chunk.toString().includes('resource server for') ? resolve() : undefined));
      example.on('exit', (code) => reject(new Error(`the example exited with ${code}`)));
    });
  });
  afterAll(async () => {
    example?.kill();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A client-credentials token from the token service's HTTPS listener, with a DPoP proof or a client certificate when given. */
  async function token(client: { basic: string }, options: { resource?: string; dpop?: KeyObject; certificate?: TestCertificate } = {}): Promise<string> {
    const tokenUrl = `https://127.0.0.1:${cluster.httpsPort('token-service')}/token`;
    const answer = await http(tokenUrl, {
      method: 'POST',
      headers: { ...FORM, Authorization: client.basic, ...(options.dpop ? { DPoP: dpopProof(options.dpop, { htu: tokenUrl }) } : {}) },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(options.resource ? { resource: options.resource } : {}) }).toString(),
      certificate: options.certificate,
    });
    expect(answer.status).toBe(200);
    return answer.json<{ access_token: string }>().access_token;
  }

  /** GET /orders at the example API. */
  function callApi(authorization: string, options: { dpop?: string; certificate?: TestCertificate } = {}): Promise<HttpResult> {
    return http(`${apiUrl}/orders`, { headers: { Authorization: authorization, ...(options.dpop ? { DPoP: options.dpop } : {}) }, certificate: options.certificate });
  }
  const apiProof = (key: KeyObject, accessToken: string, claims: Record<string, unknown> = {}) =>
    dpopProof(key, { htm: 'GET', htu: `${apiUrl}/orders`, claims: { ath: createHash('sha256').update(accessToken).digest('base64url'), ...claims } });
  const challengeOf = (answer: HttpResult) => [answer.status, answer.headers['www-authenticate']];

  it('takes a bearer JWT for its resource, and refuses one without its audience', async () => {
    const accepted = await callApi(`Bearer ${await token(jwtClient, { resource: RESOURCE })}`);
    expect(accepted.status).toBe(200);
    expect(accepted.json()).toMatchObject({ scope: 'am_application_scope default', cnf: null });
    // Without resource, the token's aud is the client's consumer key: another API's token, refused here.
    expect(challengeOf(await callApi(`Bearer ${await token(jwtClient)}`))).toEqual([401, expect.stringContaining(`not for ${RESOURCE}`)]);
    expect(challengeOf(await callApi('Bearer not-a-token.at.all'))).toEqual([401, expect.stringContaining('invalid_token')]);
  });

  it('takes an opaque token through introspection, until it is revoked', async () => {
    const accessToken = await token(opaqueClient, { resource: RESOURCE });
    expect((await callApi(`Bearer ${accessToken}`)).status).toBe(200);
    const revoked = await http(cluster.url('token-service', '/revoke'), {
      method: 'POST',
      headers: { ...FORM, Authorization: opaqueClient.basic },
      body: new URLSearchParams({ token: accessToken }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(challengeOf(await callApi(`Bearer ${accessToken}`))).toEqual([401, expect.stringContaining('not active')]);
  });

  it('takes a DPoP-bound token only with a fresh proof by its key, for this request and this token', async () => {
    const accessToken = await token(jwtClient, { resource: RESOURCE, dpop: dpopKey });
    const proof = apiProof(dpopKey, accessToken);
    const accepted = await callApi(`DPoP ${accessToken}`, { dpop: proof });
    expect(accepted.status).toBe(200);
    expect(accepted.json<{ cnf: { jkt: string } }>().cnf.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Copied from a log and sent as a bearer token; the same proof again; another key's proof; a proof for another token or URL.
    const refusals = {
      asBearer: challengeOf(await callApi(`Bearer ${accessToken}`))[0],
      replayedProof: challengeOf(await callApi(`DPoP ${accessToken}`, { dpop: proof }))[0],
      otherKey: challengeOf(await callApi(`DPoP ${accessToken}`, { dpop: apiProof(otherDpopKey, accessToken) }))[0],
      otherToken: challengeOf(await callApi(`DPoP ${accessToken}`, { dpop: apiProof(dpopKey, 'another token') }))[0],
      otherUrl: challengeOf(await callApi(`DPoP ${accessToken}`, { dpop: apiProof(dpopKey, accessToken, { htu: 'https://elsewhere.test/orders' }) }))[0],
      noProof: challengeOf(await callApi(`DPoP ${accessToken}`))[0],
    };
    expect(refusals).toEqual({ asBearer: 401, replayedProof: 401, otherKey: 401, otherToken: 401, otherUrl: 401, noProof: 401 });
    expect((await callApi(`DPoP ${accessToken}`, { dpop: apiProof(dpopKey, accessToken) })).status).toBe(200);
  });

  it('takes a certificate-bound token only over a connection with that certificate', async () => {
    const accessToken = await token(jwtClient, { resource: RESOURCE, certificate: clientCertificate });
    expect((await callApi(`Bearer ${accessToken}`, { certificate: clientCertificate })).status).toBe(200);
    expect(challengeOf(await callApi(`Bearer ${accessToken}`, { certificate: otherCertificate }))).toEqual([401, expect.stringContaining('another client certificate')]);
    expect(challengeOf(await callApi(`Bearer ${accessToken}`))).toEqual([401, expect.stringContaining('needs the client certificate')]);
  });
});
