import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryApi } from '../../../bench/keymint-api';
import { makeCertificate } from '../../../test/support/certificates';
import { startTestCluster, TestCluster } from '../../../test/support/cluster';
import { thumbprint } from '../../../test/support/dpop';
import { postgresTestDatabase } from '../../../test/support/postgres';

/**
 * The built `keymint` command against a real cluster (all three services):
 * the developer walk-through (login, apps, keys, token) and the admin's
 * users, scopes and statistics. Run `npm run build` first.
 */
const CLI = join(__dirname, '..', '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI with HOME and XDG_CONFIG_HOME in a temp folder; nothing of the real user's. */
function runKeymint(args: string[], options: { home: string; config: string; stdin?: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: options.home, XDG_CONFIG_HOME: options.config },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

function ok(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`keymint exited ${run.code}: ${run.stderr}`);
  return run;
}

function parsed<T>(run: CliRun): T {
  return JSON.parse(ok(run).stdout) as T;
}

const credentialsFile = (config: string) => join(config, 'keymint', 'credentials.json');

function clusterFlags(cluster: TestCluster): string[] {
  return ['--registry', cluster.url('application-registry'), '--token-url', cluster.url('token-service', '/token'), '--analytics', cluster.url('analytics')];
}

describe('keymint CLI against a real cluster', () => {
  let cluster: TestCluster;
  let home: string;
  let adminConfig: string;
  let aliceConfig: string;
  let urlFlags: string[];

  const keymint = (args: string[], options: { config: string; stdin?: string }) => runKeymint(args, { ...options, home });

  /** Analytics reads the event streams: wait until the statistics have caught up. */
  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 15_000;
    let value = await read();
    while (!done(value) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      value = await read();
    }
    return value;
  }

  beforeAll(async () => {
    expect(existsSync(CLI)).toBe(true);
    cluster = await startTestCluster();
    home = mkdtempSync(join(tmpdir(), 'keymint-cli-e2e-'));
    adminConfig = join(home, 'admin-config');
    aliceConfig = join(home, 'alice-config');
    urlFlags = clusterFlags(cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  let consumerKey: string;
  let consumerSecret: string;
  let shopId: string;

  it('ends quietly with exit 0 when the reader of its output stops early (keymint --help | head -1)', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      // Close our end at once, as `head` does after its line.
      child.stdout.destroy();
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it('logs the admin in: a 0600 credentials file with a token, never the password', async () => {
    const run = ok(await keymint([...urlFlags, 'login', '--username', 'admin', '--password-stdin'], { config: adminConfig, stdin: `${cluster.admin.password}\n` }));
    expect(run.stdout).toContain(`Logged in to ${cluster.url('application-registry')} as admin.`);
    const file = credentialsFile(adminConfig);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(cluster.admin.password);
    const stored = JSON.parse(text) as Record<string, string>;
    expect(stored).toMatchObject({ username: 'admin', registry: cluster.url('application-registry'), scope: 'apim:admin apim:subscribe' });
    expect(stored.accessToken.length).toBeGreaterThan(20);
    expect(stored.refreshToken.length).toBeGreaterThan(20);

    // The stored token works on its own (no URL flags: the login remembers where it points).
    const users = parsed<{ list: Array<{ username: string; roles: string[] }> }>(await keymint(['--json', 'users', 'list'], { config: adminConfig }));
    expect(users.list).toEqual([expect.objectContaining({ username: 'admin', roles: ['admin'] })]);
  });

  it('lets the admin create users and a scope; a duplicate is the server saying no (exit 1)', async () => {
    const alice = ok(await keymint(['users', 'create', 'alice', '--roles', 'subscriber', '--password-stdin'], { config: adminConfig, stdin: 'alice-secret-1\n' }));
    expect(alice.stdout).toMatch(/^Roles: +subscriber$/m);
    ok(await keymint(['users', 'create', 'bob', '--password-stdin'], { config: adminConfig, stdin: 'bob-secret-12\n' }));
    const duplicate = await keymint(['users', 'create', 'Alice', '--password-stdin'], { config: adminConfig, stdin: 'another-pass-1\n' });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/^error: 409 Conflict: .*alice.*\n$/i);
    const promoted = ok(await keymint(['users', 'set-roles', 'bob', '--roles', 'subscriber'], { config: adminConfig }));
    expect(promoted.stdout).toMatch(/^Changed the roles of bob\.\n(.|\n)*^Roles: +subscriber$/m);
    // Back to an end user ("" for none); without --roles it is a usage error.
    expect(parsed<{ roles: string[] }>(await keymint(['--json', 'users', 'set-roles', 'bob', '--roles', ''], { config: adminConfig })).roles).toEqual([]);
    expect((await keymint(['users', 'set-roles', 'bob'], { config: adminConfig })).code).toBe(2);

    const scope = parsed<{ name: string; bindings: string[] }>(
      await keymint(['--json', 'scopes', 'set', 'orders:read', '--description', 'Read orders', '--bindings', 'subscriber'], { config: adminConfig }),
    );
    expect(scope).toMatchObject({ name: 'orders:read', bindings: ['subscriber'] });
    const list = ok(await keymint(['scopes', 'list'], { config: adminConfig }));
    expect(list.stdout).toMatch(/^orders:read +subscriber +Read orders$/m);
  });

  it('refuses to log in an end user (no role), without writing a file', async () => {
    const bobConfig = join(home, 'bob-config');
    const run = await keymint([...urlFlags, '--password-stdin', 'login', '--username', 'bob'], { config: bobConfig, stdin: 'bob-secret-12\n' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: login failed: bob has neither the subscriber nor the admin role (end users only use the password grant of applications)\n');
    expect(existsSync(credentialsFile(bobConfig))).toBe(false);
    const wrongPassword = await keymint([...urlFlags, '--password-stdin', 'login', '--username', 'alice'], { config: bobConfig, stdin: 'not-her-password\n' });
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toBe(`error: login failed: wrong username or password for ${cluster.url('application-registry')}\n`);
  });

  it('walks a developer from login to a token', async () => {
    ok(await keymint([...urlFlags, '--password-stdin', 'login', '--username', 'alice'], { config: aliceConfig, stdin: 'alice-secret-1\n' }));
    expect(JSON.parse(readFileSync(credentialsFile(aliceConfig), 'utf8')).scope).toBe('apim:subscribe');

    const created = parsed<{ applicationId: string; name: string; owner: string }>(
      await keymint(['--json', 'apps', 'create', 'Shop', '--description', 'Web shop', '--token-type', 'OAUTH'], { config: aliceConfig }),
    );
    expect(created).toMatchObject({ name: 'Shop', owner: 'alice' });
    shopId = created.applicationId;
    const apps = ok(await keymint(['apps', 'list'], { config: aliceConfig }));
    expect(apps.stdout).toMatch(new RegExp(`^${shopId} +Shop +alice +Unlimited +OAUTH$`, 'm'));
    expect(apps.stdout).toMatch(/ keymint-cli +alice /);

    const keys = parsed<{ consumerKey: string; consumerSecret: string; supportedGrantTypes: string[]; validityTime: number }>(
      await keymint(
        ['--json', 'keys', 'generate', '--app', 'Shop', '--grant-types', 'client_credentials,password,refresh_token', '--scopes', 'orders:read', '--validity', '600'],
        { config: aliceConfig },
      ),
    );
    expect(keys.supportedGrantTypes).toEqual(['client_credentials', 'password', 'refresh_token']);
    expect(keys.validityTime).toBe(600);
    ({ consumerKey, consumerSecret } = keys);
    const shown = ok(await keymint(['keys', 'show', '--app', shopId], { config: aliceConfig }));
    expect(shown.stdout).toContain(consumerKey);
    expect(shown.stdout).not.toContain(consumerSecret);

    const token = parsed<Record<string, unknown>>(
      await keymint(['--json', 'token', '--key', consumerKey, '--secret', consumerSecret, '--scope', 'orders:read'], { config: aliceConfig }),
    );
    expect(token).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'am_application_scope orders:read' });

    const userToken = parsed<Record<string, unknown>>(
      await keymint(
        ['--json', '--password-stdin', 'token', '--key', consumerKey, '--secret', consumerSecret, '--grant-type', 'password', '--username', 'alice', '--scope', 'orders:read', '--validity-period', '120'],
        { config: aliceConfig, stdin: 'alice-secret-1\n' },
      ),
    );
    expect(userToken).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'orders:read', refresh_token: expect.any(String) });

    const wrong = await keymint(['token', '--key', consumerKey, '--secret', 'not-the-secret'], { config: aliceConfig });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: invalid_client: .+\n$/);
  });

  it('regenerates a secret: the old one stops working, the new one works', async () => {
    const regenerated = parsed<{ consumerKey: string; consumerSecret: string }>(
      await keymint(['--json', 'keys', 'regenerate-secret', '--app', 'Shop'], { config: aliceConfig }),
    );
    expect(regenerated.consumerKey).toBe(consumerKey);
    expect(regenerated.consumerSecret).not.toBe(consumerSecret);
    expect((await keymint(['token', '--key', consumerKey, '--secret', consumerSecret], { config: aliceConfig })).code).toBe(1);
    const human = ok(await keymint(['token', '--key', consumerKey, '--secret', regenerated.consumerSecret], { config: aliceConfig }));
    expect(human.stdout).toMatch(/^expires_in: +600$/m);
    consumerSecret = regenerated.consumerSecret;
  });

  it('keeps statistics for the admin only', async () => {
    const denied = await keymint(['stats', 'summary'], { config: aliceConfig });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: 403 /);

    type Summary = { minted: Record<string, number>; served: Record<string, number>; registeredUsers: number; applications: number };
    const summary = await eventually(
      async () => parsed<Summary>(await keymint(['--json', 'stats', 'summary'], { config: adminConfig })),
      (value) => value.minted.client_credentials >= 2 && value.minted.password >= 3,
    );
    // Two client-credentials tokens for Shop; password grants: the admin's and alice's logins and alice on Shop.
    expect(summary.minted).toMatchObject({ client_credentials: 2, password: 3 });
    expect(summary.registeredUsers).toBe(3);
    expect(summary.applications).toBe(3);

    const registered = parsed<{ list: Array<{ applicationId: string; applicationName: string; owner: string; registeredUsers: number }> }>(
      await keymint(['--json', 'stats', 'registered-users'], { config: adminConfig }),
    );
    expect(registered.list).toContainEqual({ applicationId: shopId, applicationName: 'Shop', owner: 'alice', registeredUsers: 1 });

    const issuance = ok(await keymint(['stats', 'issuance', '--granularity', 'day', '--app', 'Shop', '--grant-type', 'client_credentials'], { config: adminConfig }));
    expect(issuance.stdout).toMatch(/^TIME +GRANT TYPE +MINTED +SERVED$/m);
    expect(issuance.stdout).toMatch(/^\S+T00:00:00(\.000)?Z +client_credentials +2 +2$/m);

    const top = ok(await keymint(['stats', 'top-users'], { config: adminConfig }));
    expect(top.stdout).toMatch(new RegExp(`^${shopId} +Shop +alice +1$`, 'm'));
  });

  it('rotates a secret with keys secrets add, list and revoke: both work meanwhile, the old one stops after', async () => {
    const added = parsed<{ secretId: string; consumerSecret: string; expiresAt: string | null }>(
      await keymint(['--json', 'keys', 'secrets', 'add', '--app', 'Shop', '--description', 'next deploy'], { config: aliceConfig }),
    );
    expect(added.expiresAt).toBeNull();
    for (const secret of [consumerSecret, added.consumerSecret]) ok(await keymint(['token', '--key', consumerKey, '--secret', secret], { config: aliceConfig }));
    const listed = ok(await keymint(['keys', 'secrets', 'list', '--app', 'Shop'], { config: aliceConfig }));
    expect(listed.stdout).toMatch(new RegExp(`^${added.secretId} +ACTIVE +next deploy `, 'm'));
    expect(listed.stdout).not.toContain(added.consumerSecret);
    const oldId = parsed<{ list: Array<{ secretId: string }> }>(await keymint(['--json', 'keys', 'secrets', 'list', '--app', 'Shop'], { config: aliceConfig })).list.find(
      (secret) => secret.secretId !== added.secretId,
    )!.secretId;
    expect(ok(await keymint(['keys', 'secrets', 'revoke', '--app', 'Shop', oldId], { config: aliceConfig })).stdout).toBe(`Revoked the secret ${oldId}.\n`);
    const refused = await eventually(
      () => keymint(['token', '--key', consumerKey, '--secret', consumerSecret], { config: aliceConfig }),
      (run) => run.code === 1,
    );
    expect(refused.stderr).toMatch(/^error: invalid_client: /);
    ok(await keymint(['token', '--key', consumerKey, '--secret', added.consumerSecret], { config: aliceConfig }));
    // The last active secret stays: the server says why, exit 1.
    const last = await keymint(['keys', 'secrets', 'revoke', '--app', 'Shop', added.secretId], { config: aliceConfig });
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('regenerate-secret');
    consumerSecret = added.consumerSecret;
  });

  it('speaks HTTPS with --insecure or --ca, and says so when the certificate is not trusted', async () => {
    const registry = `https://127.0.0.1:${cluster.httpsPort('application-registry')}`;
    const basic = ['--registry', registry, '--user', 'admin', '--password-stdin', '--json', 'users', 'get', 'alice'];
    const untrusted = await keymint(basic, { config: adminConfig, stdin: `${cluster.admin.password}\n` });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('use --ca FILE, or --insecure');
    const insecure = parsed<{ username: string }>(await keymint(['--insecure', ...basic], { config: adminConfig, stdin: `${cluster.admin.password}\n` }));
    expect(insecure.username).toBe('alice');
    const withCa = parsed<{ roles: string[] }>(
      await keymint(['--ca', join(cluster.dataDir, 'tls', 'self-signed.pem'), ...basic], { config: adminConfig, stdin: `${cluster.admin.password}\n` }),
    );
    expect(withCa.roles).toEqual(['subscriber']);
  });

  it('deletes the application and logs out', async () => {
    ok(await keymint(['apps', 'delete', 'Shop'], { config: aliceConfig }));
    const gone = await keymint(['apps', 'get', shopId], { config: aliceConfig });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: 404 /);
    // The application's key went with it: its secret is refused now.
    expect((await keymint(['token', '--key', consumerKey, '--secret', consumerSecret], { config: aliceConfig })).code).toBe(1);

    expect(ok(await keymint(['logout'], { config: aliceConfig })).stdout).toBe(`Logged out of ${cluster.url('application-registry')}.\n`);
    expect(existsSync(credentialsFile(aliceConfig))).toBe(false);
    const after = await keymint(['apps', 'list'], { config: aliceConfig });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("not logged in: run 'keymint login'");
  });

  it('gets a token with a private key instead of a secret (private_key_jwt), and says which of the two is missing', async () => {
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication('Signed Service', 'OAUTH');
    const keys = await registry.generateKeys(applicationId, ['client_credentials']);
    const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const listed = await fetch(cluster.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/oauth-keys`), {
      headers: { Authorization: cluster.adminAuthorization() },
    });
    const keyMappingId = ((await listed.json()) as { list: Array<{ keyMappingId: string }> }).list[0].keyMappingId;
    const updated = await fetch(cluster.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/oauth-keys/${keyMappingId}`), {
      method: 'PUT',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ tokenEndpointAuthMethods: ['private_key_jwt'], jwks: { keys: [{ ...keyPair.publicKey.export({ format: 'jwk' }), kid: 'cli-1' }] } }),
    });
    expect(updated.status).toBe(200);
    const keyFile = join(home, 'client-key.pem');
    writeFileSync(keyFile, keyPair.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });

    const token = parsed<Record<string, unknown>>(
      await keymint(['--json', ...urlFlags, 'token', '--key', keys.consumerKey, '--private-key', keyFile, '--kid', 'cli-1'], { config: adminConfig }),
    );
    expect(token).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
    // The key no longer takes its secret; an unknown kid is the server's refusal, said as it said it.
    const bySecret = await keymint([...urlFlags, 'token', '--key', keys.consumerKey, '--secret', keys.consumerSecret], { config: adminConfig });
    expect(bySecret.stderr).toMatch(/^error: invalid_client: This client may not authenticate with client_secret_basic\.\n$/);
    const unknownKid = await keymint([...urlFlags, 'token', '--key', keys.consumerKey, '--private-key', keyFile, '--kid', 'cli-0'], { config: adminConfig });
    expect(unknownKid.stderr).toMatch(/^error: invalid_client: No registered key of the client has kid "cli-0"\.\n$/);
    const neither = await keymint([...urlFlags, 'token', '--key', keys.consumerKey], { config: adminConfig });
    expect({ code: neither.code, stderr: neither.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('give --secret, --private-key, or --cert with --cert-key') });
  });

  it('gets a token with a client certificate (self_signed_tls_client_auth), bound to that certificate', async () => {
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication('Certified Service', 'JWT');
    const certificate = makeCertificate({ subject: 'CN=certified service' });
    const keys = await registry.generateKeys(applicationId, ['client_credentials'], {
      tokenEndpointAuthMethods: ['self_signed_tls_client_auth'],
      jwks: { keys: [certificate.publicKey.export({ format: 'jwk' })] },
    });
    writeFileSync(join(home, 'client.pem'), certificate.pem);
    writeFileSync(join(home, 'client-key.pem'), certificate.keyPem, { mode: 0o600 });
    const httpsToken = ['--token-url', `https://127.0.0.1:${cluster.httpsPort('token-service')}/token`, '--insecure'];
    const files = ['--cert', join(home, 'client.pem'), '--cert-key', join(home, 'client-key.pem')];

    const token = parsed<{ access_token: string; token_type: string }>(await keymint(['--json', ...httpsToken, 'token', '--key', keys.consumerKey, ...files], { config: adminConfig }));
    expect(token.token_type).toBe('Bearer');
    const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1], 'base64url').toString()) as { cnf: Record<string, string> };
    expect(claims.cnf).toEqual({ 'x5t#S256': Buffer.from(certificate.certificate.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url') });
    // Without the certificate the key has no way in.
    const without = await keymint([...httpsToken, 'token', '--key', keys.consumerKey, '--secret', keys.consumerSecret], { config: adminConfig });
    expect(without.stderr).toMatch(/^error: invalid_client: This client may not authenticate with client_secret_basic\.\n$/);
  });

  it('gives a key its resources with --resource, and gets a token for one of them (RFC 8707)', async () => {
    const orders = 'https://api.example.com/orders';
    const billing = 'urn:example:billing';
    ok(await keymint(['apps', 'create', 'Resource Service', '--token-type', 'JWT'], { config: adminConfig }));
    const keys = parsed<{ consumerKey: string; consumerSecret: string; resources: string[] }>(
      await keymint(['--json', 'keys', 'generate', '--app', 'Resource Service', '--resource', orders, '--resource', billing], { config: adminConfig }),
    );
    expect(keys.resources).toEqual([orders, billing]);
    const shown = ok(await keymint(['keys', 'show', '--app', 'Resource Service', '--key-type', 'PRODUCTION'], { config: adminConfig }));
    expect(shown.stdout).toMatch(new RegExp(`^Resources: +${orders},${billing}$`, 'm'));

    const audienceOf = (run: CliRun) => JSON.parse(Buffer.from(parsed<{ access_token: string }>(run).access_token.split('.')[1], 'base64url').toString()).aud;
    const secret = ['token', '--key', keys.consumerKey, '--secret', keys.consumerSecret];
    expect(audienceOf(await keymint(['--json', ...urlFlags, ...secret, '--resource', orders], { config: adminConfig }))).toBe(orders);
    expect(audienceOf(await keymint(['--json', ...urlFlags, ...secret, '--resource', orders, '--resource', billing], { config: adminConfig }))).toEqual(
      [orders, billing].sort(),
    );
    expect(audienceOf(await keymint(['--json', ...urlFlags, ...secret], { config: adminConfig }))).toBe(keys.consumerKey);

    // Narrowed to one: the other is the server's refusal; a malformed one never leaves the CLI.
    expect(parsed<{ resources: string[] }>(await keymint(['--json', 'keys', 'update', '--app', 'Resource Service', '--resource', orders], { config: adminConfig })).resources).toEqual([
      orders,
    ]);
    const deadline = Date.now() + 10_000;
    let refused = await keymint([...urlFlags, ...secret, '--resource', billing], { config: adminConfig });
    while (refused.code === 0 && Date.now() < deadline) refused = await keymint([...urlFlags, ...secret, '--resource', billing], { config: adminConfig });
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 1,
      stderr: `error: invalid_target: This client may not ask for the resource '${billing}' (it is not among its key's resources).\n`,
    });
    const malformed = await keymint([...urlFlags, ...secret, '--resource', 'orders'], { config: adminConfig });
    expect({ code: malformed.code, stderr: malformed.stderr }).toEqual({ code: 2, stderr: expect.stringContaining("the resource 'orders' is not an absolute URI") });
    expect(parsed<{ resources: string[] }>(await keymint(['--json', 'keys', 'update', '--app', 'Resource Service', '--resource', ''], { config: adminConfig })).resources).toEqual([]);
  });

  it('gets DPoP-bound tokens with --dpop-key, which a key that requires DPoP insists on', async () => {
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication('Bound Service', 'JWT');
    const keys = await registry.generateKeys(applicationId, ['client_credentials'], { requireDpop: true });
    const keyFile = join(home, 'dpop-key.pem');
    const dpopKey = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(keyFile, dpopKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });

    const withoutProof = await keymint([...urlFlags, 'token', '--key', keys.consumerKey, '--secret', keys.consumerSecret], { config: adminConfig });
    expect(withoutProof.stderr).toBe('error: invalid_dpop_proof: This client must send a DPoP proof with every token request (its key requires DPoP).\n');
    const token = parsed<{ access_token: string; token_type: string }>(
      await keymint(['--json', ...urlFlags, 'token', '--key', keys.consumerKey, '--secret', keys.consumerSecret, '--dpop-key', keyFile], { config: adminConfig }),
    );
    expect(token.token_type).toBe('DPoP');
    const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1], 'base64url').toString()) as { cnf: { jkt: string } };
    expect(claims.cnf.jkt).toBe(thumbprint(dpopKey));
  });
});

describe('keymint CLI against a cluster on PostgreSQL', () => {
  let cluster: TestCluster | undefined;
  let drop: (() => Promise<void>) | undefined;
  let home: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'keymint-cli-pg-e2e-'));
    const database = await postgresTestDatabase();
    if (!database) return;
    drop = database.drop;
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'], dbUrl: database.url });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    await drop?.();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('runs the developer walk-through: login, apps create, keys generate, token', async () => {
    if (!cluster) {
      console.warn('PostgreSQL not reachable: skipped');
      return;
    }
    const config = join(home, 'config');
    const keymint = (args: string[], stdin?: string) => runKeymint(args, { home, config, stdin });
    ok(await keymint([...clusterFlags(cluster), '--password-stdin', 'login', '--username', 'admin'], `${cluster.admin.password}\n`));
    // A second login on the same machine reuses the kept secret: the first session's key stays valid.
    const first = JSON.parse(readFileSync(credentialsFile(config), 'utf8')) as { consumerKey: string; consumerSecret: string; refreshToken: string };
    ok(await keymint(['--password-stdin', 'login', '--username', 'admin'], `${cluster.admin.password}\n`));
    const second = JSON.parse(readFileSync(credentialsFile(config), 'utf8')) as typeof first;
    expect(second).toMatchObject({ consumerKey: first.consumerKey, consumerSecret: first.consumerSecret });
    expect(second.refreshToken).not.toBe(first.refreshToken);

    const app = parsed<{ applicationId: string }>(await keymint(['--json', 'apps', 'create', 'PG Shop']));
    const keys = parsed<{ consumerKey: string; consumerSecret: string }>(
      await keymint(['--json', 'keys', 'generate', '--app', app.applicationId, '--key-type', 'SANDBOX', '--scopes', 'apim:subscribe']),
    );
    const token = parsed<{ scope: string; expires_in: number }>(
      await keymint(['--json', 'token', '--key', keys.consumerKey, '--secret', keys.consumerSecret, '--scope', 'apim:subscribe', '--validity-period', '300']),
    );
    expect(token).toMatchObject({ scope: 'am_application_scope apim:subscribe', expires_in: 300 });
    const shown = ok(await keymint(['keys', 'show', '--app', 'PG Shop', '--key-type', 'sandbox']));
    expect(shown.stdout).toMatch(new RegExp(`^Consumer key: +${keys.consumerKey}$`, 'm'));
  });
});
