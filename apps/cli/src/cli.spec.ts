import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDpopProof } from '../../token-service/src/dpop/dpop-proof';
import { HttpRequest } from './http/http-transport';
import { CredentialsStore, StoredCredentials } from './session/credentials-store';
import { makeCertificate } from '../../../test/support/certificates';
import { json, runFakeCli, temporaryConfigHome } from '../test/fake-cli';

const REGISTRY = 'http://registry.test:9763';
const TOKEN_URL = 'http://tokens.test:8280/token';
const ANALYTICS = 'http://analytics.test:9663';
const URL_FLAGS = ['--registry', REGISTRY, '--token-url', TOKEN_URL, '--analytics', ANALYTICS];
const NOW = Date.parse('2026-11-25T12:00:00Z');
const APP_ID = '0b8d1f0e-3c55-4d8a-9a57-2f5a0d5c9e11';

const is = (method: string, url: string) => (request: HttpRequest) => request.method === method && request.url === url;
const form = (request: HttpRequest) => Object.fromEntries(new URLSearchParams(request.body ?? ''));

function storedLogin(overrides: Partial<StoredCredentials> = {}): StoredCredentials {
  return {
    registry: REGISTRY,
    tokenUrl: TOKEN_URL,
    analytics: ANALYTICS,
    username: 'alice',
    consumerKey: 'cli-key',
    consumerSecret: 'cli-secret',
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    expiresAt: new Date(NOW + 3_600_000).toISOString(),
    scope: 'apim:subscribe',
    ...overrides,
  };
}

describe('keymint CLI', () => {
  let configHome: string;
  let store: CredentialsStore;

  beforeEach(() => {
    configHome = temporaryConfigHome();
    store = new CredentialsStore(join(configHome, 'keymint', 'credentials.json'));
  });
  afterEach(() => rmSync(configHome, { recursive: true, force: true }));

  const env = () => ({ XDG_CONFIG_HOME: configHome });

  describe('usage errors exit 2 and send nothing', () => {
    it.each([
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['apps', 'list', '--colour'], /unknown option '--colour'/],
      [['keys', 'generate'], /required option '--app <app>' not specified/],
      [['keys', 'generate', '--app', 'Shop', '--key-type', 'STAGING'], /--key-type <type>' argument 'STAGING' is invalid. expected one of PRODUCTION, SANDBOX/],
      [['keys', 'generate', '--app', 'Shop', '--validity', '0'], /expected a positive integer/],
      [['keys', 'update', '--app', 'Shop'], /^error: nothing to update: give --grant-types, --scopes, --validity, --callback-url or --resource\n$/],
      [['token', '--key', 'k'], /give --secret, --private-key, or --cert with --cert-key/],
      [['token', '--key', 'k', '--secret', 's', '--private-key', 'p.pem'], /give either --secret or --private-key, not both/],
      [['token', '--key', 'k', '--cert', 'c.pem'], /--cert and --cert-key go together/],
      [['--token-url', TOKEN_URL, 'token', '--key', 'k', '--cert', 'c.pem', '--cert-key', 'k.pem'], /--cert needs an https:\/\/ token URL \(mutual TLS\)/],
      [['--token-url', 'https://t.test/token', 'token', '--key', 'k', '--cert', '/nonexistent/c.pem', '--cert-key', 'k.pem'], /cannot read --cert file \/nonexistent\/c.pem: ENOENT/],
      [['token', '--key', 'k', '--secret', 's', '--grant-type', 'implicit'], /argument 'implicit' is invalid. expected one of client_credentials, password, refresh_token/],
      [['token', '--key', 'k', '--secret', 's', '--grant-type', 'refresh_token'], /needs --refresh-token/],
      [['token', '--key', 'k', '--secret', 's', '--validity-period', '1.5'], /expected a positive number of seconds, or -1/],
      [['token', '--key', 'k', '--secret', 's', '--resource', '/orders'], /'--resource <uri>' argument '\/orders' is invalid. the resource '\/orders' is not an absolute URI/],
      [['keys', 'update', '--app', 'Shop', '--resource', 'https://api.example.com/#x'], /the resource 'https:\/\/api\.example\.com\/#x' has a fragment/],
      [['--registry', 'ftp://x', 'apps', 'list'], /expected an http:\/\/ or https:\/\/ URL/],
      [['apps', 'create'], /missing required argument 'name'/],
      [['apps', 'get', 'a', 'b'], /too many arguments/],
      [['login', '--username', 'alice'], /^error: password for alice needed: pipe it in with --password-stdin\n$/],
    ])('%j', async (argv, message) => {
      const run = await runFakeCli(argv, { env: env() });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
      expect(run.transport.requests).toEqual([]);
    });

    it('shows the group help with exit 2 when a subcommand is missing', async () => {
      const run = await runFakeCli(['stats'], { env: env() });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage: keymint stats [options] [command]');
      expect(run.stderr).toContain('registered-users');
    });
  });

  it('prints --help of a subcommand on stdout with its options and the global ones, exit 0', async () => {
    const run = await runFakeCli(['keys', 'update', '--help'], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: keymint keys update [options]');
    expect(run.stdout).toContain('--grant-types <list>');
    expect(run.stdout).toContain('Global Options:');
    expect(run.stdout).toContain('--insecure');
    expect(run.stderr).toBe('');
  });

  it('says how to log in, exit 1, when there is no stored login', async () => {
    const run = await runFakeCli([...URL_FLAGS, 'apps', 'list'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: not logged in: run 'keymint login' (or pass --user with --password-stdin)\n");
    expect(run.transport.requests).toEqual([]);
  });

  it('creates an application with the stored Bearer token and prints the server answer with --json', async () => {
    store.write(storedLogin());
    const created = { applicationId: APP_ID, name: 'Shop', owner: 'alice', throttlingPolicy: '50PerMin', tokenType: 'OAUTH' };
    const run = await runFakeCli(
      ['--json', 'apps', 'create', 'Shop', '--throttling-policy', '50PerMin', '--token-type', 'OAUTH', '--attribute', 'team=web', '--attribute', 'tier=gold'],
      { env: env(), routes: [(request) => (is('POST', `${REGISTRY}/api/am/devportal/v2/applications`)(request) ? json(201, created) : undefined)] },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(created);
    const [request] = run.transport.requests;
    expect(request.headers.Authorization).toBe('Bearer access-1');
    expect(request.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(request.body!)).toEqual({ name: 'Shop', throttlingPolicy: '50PerMin', tokenType: 'OAUTH', attributes: { team: 'web', tier: 'gold' } });
  });

  it("prints the registry's error in one line and exits 1", async () => {
    store.write(storedLogin());
    const run = await runFakeCli(['apps', 'create', 'Shop'], {
      env: env(),
      routes: [() => json(409, { code: 409, message: 'Conflict', description: "An application named 'Shop'\nalready exists for this owner." })],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: 409 Conflict: An application named 'Shop' already exists for this owner.\n");
    expect(run.stdout).toBe('');
  });

  it('lists applications as an aligned table', async () => {
    store.write(storedLogin());
    const list = [
      { applicationId: APP_ID, name: 'Shop', owner: 'alice', throttlingPolicy: 'Unlimited', tokenType: 'JWT' },
      { applicationId: 'b2', name: 'Warehouse robots', owner: 'alice', throttlingPolicy: '10PerMin', tokenType: 'OAUTH' },
    ];
    const run = await runFakeCli(['apps', 'list', '--query', 'o', '--limit', '5'], {
      env: env(),
      routes: [() => json(200, { count: 2, list, pagination: { offset: 0, limit: 5, total: 2 } })],
    });
    expect(run.code).toBe(0);
    expect(run.transport.requests[0].url).toBe(`${REGISTRY}/api/am/devportal/v2/applications?query=o&limit=5`);
    expect(run.stdout).toBe(
      [
        'ID                                    NAME              OWNER  POLICY     TOKEN TYPE',
        `${APP_ID}  Shop              alice  Unlimited  JWT`,
        'b2                                    Warehouse robots  alice  10PerMin   OAUTH',
        '',
      ].join('\n'),
    );
  });

  it('resolves --app by name and updates only the given key settings', async () => {
    store.write(storedLogin());
    const key = { keyMappingId: 'km-1', consumerKey: 'ck', keyType: 'SANDBOX', supportedGrantTypes: ['client_credentials'], scopes: [] };
    const run = await runFakeCli(['--json', 'keys', 'update', '--app', 'shop', '--key-type', 'sandbox', '--scopes', 'orders:read, orders:write', '--validity', '600'], {
      env: env(),
      routes: [
        (request) =>
          request.url.startsWith(`${REGISTRY}/api/am/devportal/v2/applications?`)
            ? json(200, { count: 2, list: [{ applicationId: 'other', name: 'Shop', owner: 'bob' }, { applicationId: APP_ID, name: 'Shop', owner: 'alice' }] })
            : undefined,
        (request) =>
          is('GET', `${REGISTRY}/api/am/devportal/v2/applications/${APP_ID}/oauth-keys`)(request)
            ? json(200, { count: 1, list: [key] })
            : undefined,
        (request) =>
          is('PUT', `${REGISTRY}/api/am/devportal/v2/applications/${APP_ID}/oauth-keys/km-1`)(request)
            ? json(200, { ...key, scopes: ['orders:read', 'orders:write'], validityTime: 600 })
            : undefined,
      ],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.transport.requests.map((request) => request.method)).toEqual(['GET', 'GET', 'PUT']);
    expect(run.transport.requests[0].url).toBe(`${REGISTRY}/api/am/devportal/v2/applications?query=shop&limit=100`);
    expect(JSON.parse(run.transport.requests[2].body!)).toEqual({ scopes: ['orders:read', 'orders:write'], validityTime: 600 });
    expect(JSON.parse(run.stdout).validityTime).toBe(600);
  });

  it('lists, adds and revokes a key\'s secrets (keys secrets list|add|revoke)', async () => {
    store.write(storedLogin());
    const key = { keyMappingId: 'km-1', consumerKey: 'ck', keyType: 'PRODUCTION', supportedGrantTypes: ['client_credentials'], scopes: [] };
    const keyPath = `${REGISTRY}/api/am/devportal/v2/applications/${APP_ID}/oauth-keys/km-1`;
    const secret = { secretId: 's-2', description: 'blue deploy', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: null };
    const routes = [
      (request: HttpRequest) => (is('GET', `${REGISTRY}/api/am/devportal/v2/applications/${APP_ID}/oauth-keys`)(request) ? json(200, { count: 1, list: [key] }) : undefined),
      (request: HttpRequest) =>
        is('GET', `${keyPath}/secrets`)(request) ? json(200, { count: 1, list: [{ ...secret, lastUsedAt: null, status: 'ACTIVE' }] }) : undefined,
      (request: HttpRequest) => (is('POST', `${keyPath}/generate-secret`)(request) ? json(201, { ...secret, consumerSecret: 'the-new-secret' }) : undefined),
      (request: HttpRequest) => (is('POST', `${keyPath}/revoke-secret`)(request) ? { status: 204, headers: {}, body: '' } : undefined),
    ];
    const listed = await runFakeCli(['keys', 'secrets', 'list', '--app', APP_ID], { env: env(), routes });
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toContain('s-2');
    expect(listed.stdout).toContain('ACTIVE');
    expect(listed.stdout).toContain('never');

    const added = await runFakeCli(['keys', 'secrets', 'add', '--app', APP_ID, '--description', 'blue deploy', '--expires-in', '86400'], { env: env(), routes });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.transport.requests[1].body!)).toEqual({ description: 'blue deploy', expiresIn: 86400 });
    expect(added.stdout).toContain('the-new-secret');
    expect(added.stdout).toContain('shown only once');

    const revoked = await runFakeCli(['keys', 'secrets', 'revoke', '--app', APP_ID, 's-2'], { env: env(), routes });
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.transport.requests[1].body!)).toEqual({ secretId: 's-2' });
    expect(revoked.stdout).toBe('Revoked the secret s-2.\n');

    const badExpiry = await runFakeCli(['keys', 'secrets', 'add', '--app', APP_ID, '--expires-in', '0'], { env: env(), routes });
    expect(badExpiry.code).not.toBe(0);
    expect(badExpiry.stderr).toMatch(/expected a positive integer/);
  });

  it('gets a token with RFC 6749 Basic client authentication and a form body', async () => {
    const answer = { access_token: 'at', token_type: 'Bearer', expires_in: 600, scope: 'am_application_scope orders:read' };
    const run = await runFakeCli(['--token-url', TOKEN_URL, 'token', '--key', 'key one', '--secret', 's+c:r%t', '--scope', 'orders:read orders:write', '--validity-period', '600'], {
      env: env(),
      routes: [() => json(200, answer)],
    });
    expect(run.code).toBe(0);
    const [request] = run.transport.requests;
    expect(request.url).toBe(TOKEN_URL);
    expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(Buffer.from(request.headers.Authorization.replace(/^Basic /, ''), 'base64').toString()).toBe('key+one:s%2Bc%3Ar%25t');
    expect(form(request)).toEqual({ grant_type: 'client_credentials', scope: 'orders:read orders:write', validity_period: '600' });
    expect(run.stdout).toContain('access_token:  at\n');
    expect(run.stdout).toContain('scope:         am_application_scope orders:read\n');
  });

  it('sends each --resource as a resource parameter of its own (RFC 8707), and a key\'s --resource as its resources', async () => {
    const answer = { access_token: 'at', token_type: 'Bearer', expires_in: 600, scope: 'default' };
    const run = await runFakeCli(
      ['--token-url', TOKEN_URL, 'token', '--key', 'k', '--secret', 's', '--resource', 'https://api.example.com/orders', '--resource', 'urn:example:billing'],
      { env: env(), routes: [() => json(200, answer)] },
    );
    expect(run.code).toBe(0);
    expect(run.transport.requests[0].body).toBe('grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com%2Forders&resource=urn%3Aexample%3Abilling');

    store.write(storedLogin());
    const key = { keyMappingId: 'km-1', consumerKey: 'ck', keyType: 'PRODUCTION', supportedGrantTypes: ['client_credentials'], resources: ['urn:example:old'] };
    const routes = [
      (request: HttpRequest) => (is('GET', `${REGISTRY}/api/am/devportal/v2/applications/${APP_ID}/oauth-keys`)(request) ? json(200, { count: 1, list: [key] }) : undefined),
      (request: HttpRequest) => (is('PUT', `${REGISTRY}/api/am/devportal/v2/applications/${APP_ID}/oauth-keys/km-1`)(request) ? json(200, key) : undefined),
    ];
    const replaced = await runFakeCli(['keys', 'update', '--app', APP_ID, '--resource', 'https://api.example.com/orders', '--resource', 'urn:example:billing'], { env: env(), routes });
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.transport.requests[1].body!)).toEqual({ resources: ['https://api.example.com/orders', 'urn:example:billing'] });
    expect(replaced.stdout).toContain('Resources:');
    const removed = await runFakeCli(['keys', 'update', '--app', APP_ID, '--resource', ''], { env: env(), routes });
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.transport.requests[1].body!)).toEqual({ resources: [] });
  });

  it('gets a token with a client certificate: client_id alone in the body, the certificate given to the TLS handshake; with a secret it only binds', async () => {
    const client = makeCertificate({ subject: 'CN=cli client' });
    const stranger = makeCertificate({ subject: 'CN=stranger' });
    writeFileSync(join(configHome, 'client.pem'), client.pem);
    writeFileSync(join(configHome, 'client-key.pem'), client.keyPem);
    writeFileSync(join(configHome, 'stranger-key.pem'), stranger.keyPem);
    const files = ['--cert', join(configHome, 'client.pem'), '--cert-key', join(configHome, 'client-key.pem')];
    const answer = () => json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 60, scope: 'default' });
    const run = await runFakeCli(['--token-url', 'https://tokens.test:8243/token', 'token', '--key', 'k', ...files], { env: env(), routes: [answer] });
    expect(run.code).toBe(0);
    const [request] = run.transport.requests;
    expect(form(request)).toEqual({ grant_type: 'client_credentials', client_id: 'k' });
    expect(request.headers).not.toHaveProperty('Authorization');
    expect(run.tls).toEqual([{ insecure: false, caFile: undefined, clientCertificate: { cert: client.pem, key: client.keyPem } }]);

    const withSecret = await runFakeCli(['--token-url', 'https://tokens.test:8243/token', 'token', '--key', 'k', '--secret', 's', ...files], { env: env(), routes: [answer] });
    expect(withSecret.transport.requests[0].headers.Authorization).toMatch(/^Basic /);
    expect(withSecret.tls[0].clientCertificate).toEqual({ cert: client.pem, key: client.keyPem });

    const mismatched = await runFakeCli(['--token-url', 'https://tokens.test:8243/token', 'token', '--key', 'k', ...files.slice(0, 3), join(configHome, 'stranger-key.pem')], { env: env() });
    expect({ code: mismatched.code, sent: mismatched.transport.requests.length }).toEqual({ code: 2, sent: 0 });
    expect(mismatched.stderr).toMatch(/stranger-key.pem is not the private key of the certificate in/);
  });

  it('reads the end user password of the password grant from stdin and never prints it', async () => {
    const run = await runFakeCli(['--json', '--password-stdin', 'token', '--key', 'k', '--secret', 's', '--grant-type', 'password', '--username', 'bob'], {
      env: { ...env(), KEYMINT_TOKEN_URL: TOKEN_URL },
      stdin: 'b0b-Secret-pw\n',
      routes: [() => json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600, scope: 'default', refresh_token: 'rt' })],
    });
    expect(run.code).toBe(0);
    expect(form(run.transport.requests[0])).toEqual({ grant_type: 'password', username: 'bob', password: 'b0b-Secret-pw' });
    expect(JSON.parse(run.stdout).refresh_token).toBe('rt');
    expect(run.stdout + run.stderr).not.toContain('b0b-Secret-pw');
  });

  it('proves a DPoP key with a fresh proof per request, and tries once more with the nonce the server asks for', async () => {
    const dir = temporaryConfigHome();
    const keyFile = join(dir, 'dpop.pem');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const answers = [
      { ...json(400, { error: 'use_dpop_nonce', error_description: 'nonce required' }), headers: { 'content-type': 'application/json', 'dpop-nonce': 'n-1' } },
      json(200, { access_token: 'at', token_type: 'DPoP', expires_in: 60, scope: 'default' }),
    ];
    const run = await runFakeCli(['--token-url', TOKEN_URL, 'token', '--key', 'k', '--secret', 's', '--dpop-key', keyFile], { env: env(), routes: [() => answers.shift()] });
    rmSync(dir, { recursive: true, force: true });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('token_type:    DPoP\n');
    const proofs = run.transport.requests.map((request) => request.headers.DPoP);
    expect(proofs).toHaveLength(2);
    // The token service's own check: what it would accept from this URL, at this time.
    const verified = proofs.map((proof) => verifyDpopProof(proof, { method: 'POST', targets: [TOKEN_URL] }));
    expect(verified.map((proof) => proof.nonce)).toEqual([undefined, 'n-1']);
    expect(verified[0].jti).not.toBe(verified[1].jti);
    expect(verified[0].jkt).toBe(verified[1].jkt);
  });

  it('refuses a --dpop-key that is no private key it can sign with', async () => {
    const run = await runFakeCli(['--token-url', TOKEN_URL, 'token', '--key', 'k', '--secret', 's', '--dpop-key', '/nonexistent/dpop.pem'], { env: env() });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--dpop-key \/nonexistent\/dpop.pem: not a readable PEM private key/);
    expect(run.transport.requests).toEqual([]);
  });

  it('prints the token endpoint error as "error: description" with exit 1', async () => {
    const run = await runFakeCli(['--token-url', TOKEN_URL, 'token', '--key', 'k', '--secret', 'wrong'], {
      env: env(),
      routes: [() => json(401, { error: 'invalid_client', error_description: 'Client authentication failed.' })],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: invalid_client: Client authentication failed.\n');
  });

  it('takes URLs from the flag, else the environment, else the stored login, else the defaults', async () => {
    const answer = () => json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 1 });
    const viaEnv = await runFakeCli(['token', '--key', 'k', '--secret', 's'], { env: { ...env(), KEYMINT_TOKEN_URL: 'http://env.test/token' }, routes: [answer] });
    expect(viaEnv.transport.requests[0].url).toBe('http://env.test/token');
    const viaFlag = await runFakeCli(['--token-url', 'http://flag.test/oauth2/token', 'token', '--key', 'k', '--secret', 's'], {
      env: { ...env(), KEYMINT_TOKEN_URL: 'http://env.test/token' },
      routes: [answer],
    });
    expect(viaFlag.transport.requests[0].url).toBe('http://flag.test/oauth2/token');
    const byDefault = await runFakeCli(['token', '--key', 'k', '--secret', 's'], { env: env(), routes: [answer] });
    expect(byDefault.transport.requests[0].url).toBe('https://localhost:8243/token');
    store.write(storedLogin());
    const fromLogin = await runFakeCli(['token', '--key', 'k', '--secret', 's'], { env: env(), routes: [answer] });
    expect(fromLogin.transport.requests[0].url).toBe(TOKEN_URL);
    // A token service's base URL, as a newcomer types it: its token endpoint.
    const base = await runFakeCli(['--token-url', 'http://localhost:8280', 'token', '--key', 'k', '--secret', 's'], { env: env(), routes: [answer] });
    expect(base.transport.requests[0].url).toBe('http://localhost:8280/token');
    const slash = await runFakeCli(['--token-url', 'http://localhost:8280/', 'token', '--key', 'k', '--secret', 's'], { env: env(), routes: [answer] });
    expect(slash.transport.requests[0].url).toBe('http://localhost:8280/token');
  });

  it('refreshes an expired login with the refresh token, saves the rotated tokens and uses the new one', async () => {
    store.write(storedLogin({ expiresAt: new Date(NOW - 1000).toISOString() }));
    const run = await runFakeCli(['stats', 'summary', '--from', '2026-11-24', '--to', '2026-11-25'], {
      env: env(),
      now: NOW,
      routes: [
        (request) => (is('POST', TOKEN_URL)(request) ? json(200, { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'Bearer', expires_in: 3600, scope: 'apim:subscribe' }) : undefined),
        (request) =>
          request.url.startsWith(`${ANALYTICS}/api/analytics/v1/summary?`)
            ? json(200, {
                from: '2026-11-24T00:00:00.000Z',
                to: '2026-11-25T00:00:00.000Z',
                minted: { client_credentials: 5, password: 2, refresh_token: 1 },
                served: { client_credentials: 7, password: 2, refresh_token: 1 },
                reused: 2,
                clientAuthMethods: {
                  client_secret_basic: { minted: 6, served: 8 },
                  client_secret_post: { minted: 0, served: 0 },
                  private_key_jwt: { minted: 2, served: 2 },
                  unknown: { minted: 0, served: 0 },
                },
                tokenBindings: { bearer: { minted: 7, served: 9 }, dpop: { minted: 1, served: 1 }, mtls: { minted: 0, served: 0 } },
                registeredUsers: 3,
                applications: 4,
              })
            : undefined,
      ],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [refresh, summary] = run.transport.requests;
    expect(form(refresh)).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1' });
    expect(refresh.headers.Authorization).toBe(`Basic ${Buffer.from('cli-key:cli-secret').toString('base64')}`);
    expect(summary.url).toBe(`${ANALYTICS}/api/analytics/v1/summary?from=2026-11-24&to=2026-11-25`);
    expect(summary.headers.Authorization).toBe('Bearer access-2');
    expect(store.read()).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2', expiresAt: new Date(NOW + 3_600_000).toISOString() });
    expect(run.stdout).toMatch(/^Reused: +2$/m);
    expect(run.stdout).toMatch(/^client_credentials +5 +7$/m);
    expect(run.stdout).toMatch(/^CLIENT AUTHENTICATION +MINTED +SERVED\nclient_secret_basic +6 +8\nprivate_key_jwt +2 +2$/m);
    expect(run.stdout).toMatch(/^BINDING +MINTED +SERVED\nbearer +7 +9\ndpop +1 +1$/m);
  });

  it('asks for a new login, exit 1, when the refresh token is refused', async () => {
    store.write(storedLogin({ expiresAt: new Date(NOW - 1000).toISOString() }));
    const run = await runFakeCli(['apps', 'list'], {
      env: env(),
      routes: [() => json(400, { error: 'invalid_grant', error_description: 'The provided authorization grant is invalid.' })],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: your login has expired or was revoked \(invalid_grant: .*\): run 'keymint login' again\n$/);
    expect(run.transport.requests).toHaveLength(1);
  });

  it('never sends the stored token to another registry', async () => {
    store.write(storedLogin());
    const run = await runFakeCli(['--registry', 'http://elsewhere.test', 'apps', 'list'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`logged in to ${REGISTRY}, not to http://elsewhere.test`);
    expect(run.transport.requests).toEqual([]);
  });

  it('with --user, sends Basic and reads the caller password before the new user password', async () => {
    const run = await runFakeCli([...URL_FLAGS, '--user', 'admin', '--password-stdin', 'users', 'create', 'carol', '--roles', 'subscriber'], {
      env: env(),
      stdin: 'admin-password\ncarol-password\n',
      routes: [() => json(201, { userId: 'u1', username: 'carol', roles: ['subscriber'] })],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [request] = run.transport.requests;
    expect(request.headers.Authorization).toBe(`Basic ${Buffer.from('admin:admin-password').toString('base64')}`);
    expect(JSON.parse(request.body!)).toEqual({ username: 'carol', password: 'carol-password', roles: ['subscriber'] });
    expect(run.stdout).not.toContain('password');
  });

  it('login creates the keymint-cli application and key, then stores tokens (mode 0600) and never the password', async () => {
    const base = `${REGISTRY}/api/am/devportal/v2/applications`;
    const run = await runFakeCli([...URL_FLAGS, '--password-stdin', 'login', '--username', 'Alice'], {
      env: env(),
      now: NOW,
      stdin: 'alice-password-1\n',
      routes: [
        (request) => (is('GET', `${REGISTRY}/api/am/admin/v2/users/Alice`)(request) ? json(403, { code: 403, message: 'Forbidden', description: 'No.' }) : undefined),
        (request) => (request.method === 'GET' && request.url.startsWith(`${base}?`) ? json(200, { count: 0, list: [] }) : undefined),
        (request) => (is('POST', base)(request) ? json(201, { applicationId: APP_ID, name: 'keymint-cli', owner: 'alice' }) : undefined),
        (request) => (is('GET', `${base}/${APP_ID}/oauth-keys`)(request) ? json(200, { count: 0, list: [] }) : undefined),
        (request) =>
          is('POST', `${base}/${APP_ID}/generate-keys`)(request)
            ? json(200, { keyMappingId: 'km', consumerKey: 'cli-key', consumerSecret: 'cli-secret', keyType: 'PRODUCTION', supportedGrantTypes: ['password', 'refresh_token'] })
            : undefined,
        (request) => (is('POST', TOKEN_URL)(request) ? json(200, { access_token: 'at-1', refresh_token: 'rt-1', token_type: 'Bearer', expires_in: 3600, scope: 'apim:subscribe' }) : undefined),
      ],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const requests = run.transport.requests;
    expect(requests[0].headers.Authorization).toBe(`Basic ${Buffer.from('Alice:alice-password-1').toString('base64')}`);
    expect(JSON.parse(requests[4].body!)).toEqual({ keyType: 'PRODUCTION', grantTypesToBeSupported: ['password', 'refresh_token'], scopes: ['apim:subscribe'], validityTime: 3600 });
    expect(form(requests[5])).toEqual({ grant_type: 'password', username: 'Alice', password: 'alice-password-1', scope: 'apim:subscribe' });
    expect(run.stdout).toContain(`Logged in to ${REGISTRY} as alice.`);
    const file = readFileSync(store.path, 'utf8');
    expect(JSON.parse(file)).toEqual({
      registry: REGISTRY,
      tokenUrl: TOKEN_URL,
      analytics: ANALYTICS,
      username: 'alice',
      consumerKey: 'cli-key',
      consumerSecret: 'cli-secret',
      accessToken: 'at-1',
      refreshToken: 'rt-1',
      expiresAt: new Date(NOW + 3_600_000).toISOString(),
      scope: 'apim:subscribe',
    });
    expect(file).not.toContain('alice-password-1');
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('login replaces a damaged credentials file, reusing nothing from it', async () => {
    mkdirSync(join(configHome, 'keymint'), { recursive: true });
    writeFileSync(store.path, '{"accessToken": tru');
    const base = `${REGISTRY}/api/am/devportal/v2/applications`;
    const existingKey = { keyMappingId: 'km', consumerKey: 'cli-key', keyType: 'PRODUCTION', supportedGrantTypes: ['password', 'refresh_token'], scopes: ['apim:subscribe', 'apim:admin'] };
    const run = await runFakeCli([...URL_FLAGS, '--password-stdin', 'login', '--username', 'admin'], {
      env: env(),
      stdin: 'admin-password\n',
      routes: [
        (request) => (is('GET', `${REGISTRY}/api/am/admin/v2/users/admin`)(request) ? json(200, { username: 'admin', roles: ['admin'] }) : undefined),
        (request) =>
          request.method === 'GET' && request.url.startsWith(`${base}?`)
            ? json(200, { count: 2, list: [{ applicationId: 'not-mine', name: 'keymint-cli', owner: 'alice' }, { applicationId: APP_ID, name: 'keymint-cli', owner: 'admin' }] })
            : undefined,
        (request) => (is('GET', `${base}/${APP_ID}/oauth-keys`)(request) ? json(200, { count: 1, list: [existingKey] }) : undefined),
        (request) => (is('POST', `${base}/${APP_ID}/oauth-keys/km/regenerate-secret`)(request) ? json(200, { consumerKey: 'cli-key', consumerSecret: 'fresh-secret' }) : undefined),
        (request) => (is('POST', TOKEN_URL)(request) ? json(200, { access_token: 'at', refresh_token: 'rt', token_type: 'Bearer', expires_in: 3600, scope: 'apim:admin apim:subscribe' }) : undefined),
      ],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.transport.requests.map((request) => `${request.method} ${request.url.replace(REGISTRY, '')}`)).toEqual([
      'GET /api/am/admin/v2/users/admin',
      'GET /api/am/devportal/v2/applications?query=keymint-cli&limit=100',
      `GET /api/am/devportal/v2/applications/${APP_ID}/oauth-keys`,
      `POST /api/am/devportal/v2/applications/${APP_ID}/oauth-keys/km/regenerate-secret`,
      `POST ${TOKEN_URL}`,
    ]);
    expect(form(run.transport.requests[4]).scope).toBe('apim:subscribe apim:admin');
    expect(store.read()).toMatchObject({ username: 'admin', consumerSecret: 'fresh-secret', accessToken: 'at' });
  });

  it('logout revokes both tokens and deletes the file; a second logout says so', async () => {
    store.write(storedLogin());
    const first = await runFakeCli(['logout'], { env: env(), routes: [() => ({ status: 200, headers: {}, body: '' })] });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`Logged out of ${REGISTRY}.\n`);
    expect(first.transport.requests.map((request) => [request.url, form(request).token])).toEqual([
      ['http://tokens.test:8280/revoke', 'refresh-1'],
      ['http://tokens.test:8280/revoke', 'access-1'],
    ]);
    expect(store.read()).toBeNull();
    const second = await runFakeCli(['logout'], { env: env() });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('Not logged in.\n');
  });
});
