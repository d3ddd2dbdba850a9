import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { signClientAssertion } from '../../apps/cli/src/http/client-assertion';
import { makeCertificate } from '../support/certificates';
import { startTestCluster, TestCluster } from '../support/cluster';

/**
 * The two pages in a real browser (Debian's chromium driven by playwright-core)
 * against a real cluster: sign in to the Developer Portal, create an application,
 * tick Client Credentials, generate keys, run the curl command the page shows,
 * then watch the admin dashboard count the token.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, '.test-artifacts', 'browser');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const SHOWN_TOKEN_URL = 'https://localhost:8243/token';
const CURL_FORM =
  /^curl -k -d "grant_type=client_credentials" -H "Authorization: Basic ([A-Za-z0-9+/]+=*)" -H "Content-Type: application\/x-www-form-urlencoded" (\S+)$/;

const run = promisify(execFile);
/** What a page keeps in the browser's storage: [localStorage items, sessionStorage items, cookies] (evaluated in the page). */
const STORED_STATE = '[localStorage.length, sessionStorage.length, document.cookie]';

describe('Developer Portal and admin dashboard in the browser', () => {
  let cluster: TestCluster;
  let browser: Browser;
  /** Console errors and CSP violations of every page; none is expected. */
  const pageProblems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: the browser tests need it. Run \`npm run setup\` as root (it runs \`apt-get install -y chromium\`), ` +
          'or install Debian\'s "chromium" package yourself, then run the tests again.',
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    [cluster, browser] = await Promise.all([startTestCluster(), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  async function openPage(url: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    page.on('console', (message) => {
      // The expected failures: the deliberate wrong passwords' 401 and the sign-in limit's 429.
      const expected = message.text().includes('status of 401') || message.text().includes('status of 429');
      if (message.type() === 'error' && !expected) pageProblems.push(`${url}: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageProblems.push(`${url}: ${error.message}`));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    return { context, page };
  }

  /** Signs the admin in to the portal, adds an OAUTH application and generates its Production keys for client credentials. */
  async function newApplicationWithKeys(page: Page, name: string): Promise<void> {
    await page.locator('#sign-in-form').getByLabel('Username').fill(cluster.admin.username);
    await page.locator('#sign-in-form').getByLabel('Password').fill(cluster.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#portal').waitFor();
    await page.getByRole('button', { name: 'Add new application' }).click();
    await page.getByLabel('Application name').fill(name);
    await page.getByLabel('Token type').selectOption('OAUTH');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#application-detail').waitFor();
    await page.getByLabel('Client Credentials').check();
    await page.getByRole('button', { name: 'Generate Keys' }).click();
    await page.locator('#secret-box').waitFor();
  }

  async function fetchText(url: string): Promise<{ status: number; headers: Headers; body: string }> {
    const response = await fetch(url);
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  it('leads the addresses people type for the portal (the registry root, a trailing slash) to it', async () => {
    for (const path of ['/', '/devportal/']) {
      const answer = await fetch(cluster.url('application-registry', path), { redirect: 'manual' });
      expect({ path, status: answer.status, location: answer.headers.get('location') }).toEqual({ path, status: 302, location: '/devportal' });
    }
    const { page } = await openPage(cluster.url('application-registry', '/devportal/'));
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/devportal');
  });

  it('serves both pages and their assets without credentials, under a strict CSP and without inline scripts', async () => {
    for (const [service, path, type] of [
      ['application-registry', '/devportal', 'text/html'],
      ['application-registry', '/devportal/app.js', 'text/javascript'],
      ['application-registry', '/devportal/style.css', 'text/css'],
      ['analytics', '/', 'text/html'],
      ['analytics', '/dashboard/app.js', 'text/javascript'],
      ['analytics', '/dashboard/style.css', 'text/css'],
      ['analytics', '/dashboard/chart.js', 'text/javascript'],
    ] as const) {
      const { status, headers, body } = await fetchText(cluster.url(service, path));
      expect({ path, status, type: headers.get('content-type') }).toEqual({ path, status: 200, type: `${type}; charset=utf-8` });
      expect(headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      if (type === 'text/html') {
        // Every script has a src (no inline code), and every input has a label.
        expect(body.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
        const inputIds = [...body.matchAll(/<(?:input|select|textarea)[^>]*\sid="([^"]+)"/g)].map((match) => match[1]);
        expect(inputIds.length).toBeGreaterThan(2);
        for (const id of inputIds) {
          const labelled = body.includes(`for="${id}"`) || new RegExp(`<label>\\s*<input[^>]*id="${id}"`).test(body);
          expect({ id, labelled }).toEqual({ id, labelled: true });
        }
      }
    }
    expect((await fetchText(cluster.url('analytics', '/dashboard/chart.js'))).body).toContain('Chart.js v4');
    // The data behind the pages still needs credentials.
    expect((await fetchText(cluster.url('application-registry', '/api/am/devportal/v2/applications'))).status).toBe(401);
    expect((await fetchText(cluster.url('analytics', '/api/analytics/v1/summary'))).status).toBe(401);
  });

  it('takes a developer from sign-in to a working curl command, and the dashboard counts its tokens', async () => {
    // An end user for the password grant, so the dashboard has a registered user to show.
    const endUser = { username: 'carol', password: 'carol-secret-1' };
    const created = await fetch(cluster.url('application-registry', '/api/am/admin/v2/users'), {
      method: 'POST',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...endUser, roles: [] }),
    });
    expect(created.status).toBe(201);

    // --- Developer Portal ---
    const portal = await openPage(cluster.url('application-registry', '/devportal'));
    const devportal = portal.page;
    await devportal.locator('#sign-in-form').getByLabel('Username').fill(cluster.admin.username);
    await devportal.locator('#sign-in-form').getByLabel('Password').fill('not-the-password');
    await devportal.getByRole('button', { name: 'Sign in' }).click();
    await waitForText(devportal.getByRole('alert'), /^Wrong username or password\.$/);

    await devportal.locator('#sign-in-form').getByLabel('Password').fill(cluster.admin.password);
    await devportal.getByRole('button', { name: 'Sign in' }).click();
    await devportal.locator('#portal').waitFor();
    await waitForText(devportal.locator('#session'), `Signed in as ${cluster.admin.username}`);

    await devportal.getByRole('button', { name: 'Add new application' }).click();
    await devportal.getByLabel('Application name').fill('Weather Station');
    await devportal.getByLabel('Description').fill('Reads the sensors');
    await devportal.getByLabel('Token type').selectOption('OAUTH');
    await devportal.getByRole('button', { name: 'Save' }).click();
    await devportal.getByRole('heading', { name: 'Weather Station' }).waitFor();
    await devportal.getByRole('button', { name: 'Open application Weather Station' }).waitFor();

    expect(await devportal.getByRole('tab', { name: 'Production Keys' }).getAttribute('aria-selected')).toBe('true');
    await devportal.getByRole('checkbox', { name: 'Client Credentials' }).check();
    await devportal.getByRole('checkbox', { name: 'Password' }).check();
    await devportal.getByRole('button', { name: 'Generate Keys' }).click();
    await devportal.getByText('it is shown only once', { exact: false }).first().waitFor();

    const consumerKey = await devportal.getByLabel('Consumer Key', { exact: true }).inputValue();
    const consumerSecret = await devportal.getByLabel('Consumer Secret', { exact: true }).inputValue();
    expect(consumerKey).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(consumerSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const curlCommand = await devportal.getByLabel('cURL command to generate an access token').inputValue();
    const curlParts = CURL_FORM.exec(curlCommand);
    expect(curlParts).not.toBeNull();
    expect(Buffer.from(curlParts![1], 'base64').toString('utf8')).toBe(`${consumerKey}:${consumerSecret}`);
    expect(curlParts![2]).toBe(SHOWN_TOKEN_URL);

    // Generate Access Token on the page (the registry asks the token service).
    await devportal.getByLabel('Validity period (seconds)', { exact: true }).fill('600');
    await devportal.getByRole('button', { name: 'Generate Access Token' }).click();
    await devportal.locator('#token-result').waitFor();
    expect((await devportal.getByLabel('Access Token', { exact: true }).inputValue()).length).toBeGreaterThan(20);
    await waitForText(devportal.locator('#token-info'), 'valid for 600 seconds');

    // Nothing secret is kept by the browser.
    expect(await devportal.evaluate(STORED_STATE)).toEqual([0, 0, '']);
    expect(await portal.context.cookies()).toEqual([]);
    await devportal.screenshot({ path: join(ARTIFACTS, 'devportal.png'), fullPage: true });

    // --- Admin dashboard, before the curl command runs ---
    const admin = await openPage(cluster.url('analytics', '/'));
    const dashboard = admin.page;
    await dashboard.getByLabel('Username').fill(cluster.admin.username);
    await dashboard.getByLabel('Password').fill(cluster.admin.password);
    await dashboard.getByRole('button', { name: 'Sign in' }).click();
    const clientCredentialsCount = dashboard.locator('#count-client_credentials');
    // The page's own Generate Access Token is the first client-credentials token.
    await refreshUntil(dashboard, clientCredentialsCount, '1');

    // --- The curl command, exactly as shown, against this cluster's token endpoint ---
    const command = curlCommand.replace(SHOWN_TOKEN_URL, cluster.url('token-service', '/token'));
    const { stdout } = await run('/bin/sh', ['-c', `${command} -s -w '\\n%{http_code}'`], { timeout: 15000 });
    const [body, status] = stdout.trimEnd().split('\n');
    expect(status).toBe('200');
    const token = JSON.parse(body) as { access_token: string; token_type: string; scope: string };
    expect(token.access_token.length).toBeGreaterThan(20);
    expect(token.token_type).toBe('Bearer');

    // A password-grant token for the end user (a registered user of the application).
    const passwordGrant = await fetch(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'password', ...endUser }).toString(),
    });
    expect(passwordGrant.status).toBe(200);

    // The dashboard's client-credentials count goes up by the curl token; the user shows up.
    await refreshUntil(dashboard, clientCredentialsCount, '2');
    await refreshUntil(dashboard, dashboard.locator('#count-password'), '1');
    await waitForText(dashboard.locator('#registered-body tr').first(), /^Weather Station\s*admin\s*1$/);
    await waitForText(dashboard.locator('#top-users-body'), /Weather Station\s*carol\s*1/);
    // By client authentication: the curl command and the password grant sent the secret in the header, the
    // portal's Generate Access Token in the body; no token from before the method was recorded, so no such tile.
    await refreshUntil(dashboard, dashboard.locator('#method-client_secret_basic'), '2');
    expect(await dashboard.locator('#method-client_secret_post').textContent()).toBe('1');
    expect(await dashboard.locator('#method-private_key_jwt').textContent()).toBe('0');
    expect(await dashboard.locator('#method-tls_client_auth').textContent()).toBe('0');
    expect(await dashboard.locator('#method-self_signed_tls_client_auth').textContent()).toBe('0');
    expect(await dashboard.locator('#method-unknown-tile').isHidden()).toBe(true);
    expect(await dashboard.locator('#binding-bearer').textContent()).toBe('3');
    expect(await dashboard.locator('#binding-dpop').textContent()).toBe('0');
    expect(await dashboard.evaluate(STORED_STATE)).toEqual([0, 0, '']);
    await dashboard.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Keyboard: the time-range picker is reachable and changes the range.
    await dashboard.getByRole('combobox', { name: 'Time range' }).focus();
    await dashboard.keyboard.press('ArrowUp');
    expect(await dashboard.getByRole('combobox', { name: 'Time range' }).inputValue()).toBe('1h');
    await waitForText(dashboard.locator('#range-summary'), 'minute buckets');
    expect(await clientCredentialsCount.textContent()).toBe('2');

    // The README's pictures are refreshed on request only, so a test run leaves the checkout clean.
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      for (const file of ['devportal.png', 'dashboard.png']) copyFileSync(join(ARTIFACTS, file), join(SCREENSHOTS, file));
    }
    await Promise.all([portal.context.close(), admin.context.close()]);
    expect(pageProblems).toEqual([]);
  });

  it('edits an application, generates Sandbox keys from the keyboard, regenerates the secret and deletes the application', async () => {
    const { context, page } = await openPage(cluster.url('application-registry', '/devportal'));
    page.on('dialog', (dialog) => void dialog.accept());
    const api = (path: string) =>
      fetch(cluster.url('application-registry', `/api/am/devportal/v2${path}`), { headers: { Authorization: cluster.adminAuthorization() } });

    // Keyboard only: the username field has the focus on load; Enter submits.
    await page.keyboard.type(cluster.admin.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(cluster.admin.password);
    await page.keyboard.press('Enter');
    await page.locator('#portal').waitFor();

    await page.getByRole('button', { name: 'Add new application' }).click();
    await page.getByLabel('Application name').fill('Sandbox Lab');
    await page.getByLabel('Application name').press('Enter');
    await page.getByRole('heading', { name: 'Sandbox Lab', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Application name').fill('Sandbox Lab 2');
    await page.getByLabel('Token type').selectOption('OAUTH');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Sandbox Lab 2', exact: true }).waitFor();
    const listed = (await (await api('/applications?query=Sandbox')).json()) as { list: { applicationId: string; name: string; tokenType: string }[] };
    expect(listed.list.map(({ name, tokenType }) => ({ name, tokenType }))).toEqual([{ name: 'Sandbox Lab 2', tokenType: 'OAUTH' }]);
    const applicationId = listed.list[0].applicationId;

    // Arrow keys move between the key tabs (WAI-ARIA tabs pattern).
    await page.getByRole('tab', { name: 'Production Keys' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Sandbox Keys' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate('document.activeElement.id')).toBe('tab-sandbox');
    await page.getByRole('checkbox', { name: 'Client Credentials' }).check();
    await page.getByLabel('Access token validity period (seconds)').fill('900');
    await page.getByRole('button', { name: 'Generate Keys' }).click();
    await page.locator('#secret-box').waitFor();
    const consumerKey = await page.getByLabel('Consumer Key', { exact: true }).inputValue();
    const firstSecret = await page.getByLabel('Consumer Secret', { exact: true }).inputValue();
    const keys = (await (await api(`/applications/${applicationId}/oauth-keys`)).json()) as {
      list: { keyType: string; consumerKey: string; supportedGrantTypes: string[]; validityTime: number }[];
    };
    expect(keys.list.map(({ keyType, consumerKey: key, supportedGrantTypes, validityTime }) => ({ keyType, key, supportedGrantTypes, validityTime }))).toEqual([
      { keyType: 'SANDBOX', key: consumerKey, supportedGrantTypes: ['client_credentials'], validityTime: 900 },
    ]);

    // Regenerate secret (confirmed in the dialog): a new secret, shown once, and the curl command follows it.
    await page.getByRole('button', { name: 'Regenerate secret' }).click();
    await waitForText(page.locator('#status'), 'New consumer secret generated.');
    const newSecret = await page.getByLabel('Consumer Secret', { exact: true }).inputValue();
    expect(newSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSecret).not.toBe(firstSecret);
    const curlParts = CURL_FORM.exec(await page.getByLabel('cURL command to generate an access token').inputValue());
    expect(Buffer.from(curlParts![1], 'base64').toString('utf8')).toBe(`${consumerKey}:${newSecret}`);
    const tokenStatus = async (secret: string) =>
      (
        await fetch(cluster.url('token-service', '/token'), {
          method: 'POST',
          headers: { Authorization: `Basic ${Buffer.from(`${consumerKey}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        })
      ).status;
    expect(await tokenStatus(newSecret)).toBe(200);
    expect(await tokenStatus(firstSecret)).toBe(401);

    // Delete (confirmed): gone from the list and from the API.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('#application-detail').waitFor({ state: 'hidden' });
    await waitForText(page.locator('#status'), 'Application Sandbox Lab 2 deleted.');
    expect(await page.getByRole('button', { name: 'Open application Sandbox Lab 2' }).count()).toBe(0);
    expect((await api(`/applications/${applicationId}`)).status).toBe(404);
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('rotates a consumer secret without downtime from the secrets panel: add one with an expiry, get a token with it, revoke the old', async () => {
    const { context, page } = await openPage(cluster.url('application-registry', '/devportal'));
    page.on('dialog', (dialog) => void dialog.accept());
    await newApplicationWithKeys(page, 'Rotating Service');
    const consumerKey = await page.locator('#consumer-key').inputValue();
    const firstSecret = await page.locator('#consumer-secret').inputValue();
    const rows = page.locator('#secrets-rows tr');
    await waitForCount(rows, 1);
    await waitForText(rows.first(), 'ACTIVE');
    expect(await page.locator('#secrets-warning').isVisible()).toBe(false);

    // Add a second secret that expires in 3 days: the panel warns, both are listed, the new one is shown once.
    await page.getByLabel('What the new secret is for').fill('deploy 2026-12');
    await page.getByLabel('Expires after (days)').fill('3');
    await page.getByRole('button', { name: 'Add secret' }).click();
    await waitForText(page.locator('#status'), 'New consumer secret added');
    const secondSecret = await page.locator('#consumer-secret').inputValue();
    expect(secondSecret).not.toBe(firstSecret);
    await waitForCount(rows, 2);
    await waitForText(page.locator('#secrets-warning'), /^A secret expires within 7 days/);
    const added = rows.filter({ hasText: 'deploy 2026-12' });
    await waitForText(added, '(soon)');
    expect(await page.locator('#secrets-rows').textContent()).not.toContain(secondSecret);

    const tokenWith = (secret: string) =>
      fetch(cluster.url('token-service', '/token'), {
        method: 'POST',
        headers: { Authorization: 'Basic ' + Buffer.from(`${consumerKey}:${secret}`).toString('base64'), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    expect((await tokenWith(firstSecret)).status).toBe(200);
    expect((await tokenWith(secondSecret)).status).toBe(200);

    // Revoke the first: the new one keeps working, the old one stops.
    await rows.filter({ hasNotText: 'deploy 2026-12' }).getByRole('button', { name: /^Revoke secret/ }).click();
    await waitForText(page.locator('#status'), /revoked\.$/);
    await waitForCount(page.locator('#secrets-rows tr', { hasText: 'ACTIVE' }), 1);
    expect((await tokenWith(secondSecret)).status).toBe(200);
    const deadline = Date.now() + 5000;
    let oldStatus = (await tokenWith(firstSecret)).status;
    while (oldStatus === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      oldStatus = (await tokenWith(firstSecret)).status;
    }
    expect(oldStatus).toBe(401);
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('lets a key authenticate with a private key: tick it, paste the public JWK Set, and the client gets tokens with signed assertions', async () => {
    const { context, page } = await openPage(cluster.url('application-registry', '/devportal'));
    await newApplicationWithKeys(page, 'Keyless Service');
    const consumerKey = await page.locator('#consumer-key').inputValue();
    expect(await page.locator('#jwks-field').isVisible()).toBe(false);

    const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await page.getByLabel('Private key (signed assertion, private_key_jwt)').check();
    await page.getByLabel('Secret in the Authorization header').uncheck();
    await page.getByLabel('Secret in the body').uncheck();
    await page.getByLabel('Public keys').fill(JSON.stringify({ keys: [{ ...keyPair.publicKey.export({ format: 'jwk' }), kid: 'portal-1' }] }));
    await page.getByRole('button', { name: 'Update' }).click();
    await waitForText(page.locator('#status'), 'keys updated');

    const metadata = (await (await fetch(cluster.url('token-service', '/.well-known/oauth-authorization-server'))).json()) as { issuer: string };
    const assertion = signClientAssertion(consumerKey, { key: keyPair.privateKey, alg: 'ES256' }, metadata.issuer, 'portal-1');
    const answer = await fetch(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
    });
    expect(answer.status).toBe(200);
    // Opened again, the form shows what the key now allows, with its public keys.
    await page.reload();
    await page.locator('#sign-in-form').getByLabel('Username').fill(cluster.admin.username);
    await page.locator('#sign-in-form').getByLabel('Password').fill(cluster.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Open application Keyless Service' }).click();
    await page.locator('#jwks-field').waitFor();
    expect(await page.getByLabel('Secret in the Authorization header').isChecked()).toBe(false);
    expect(await page.getByLabel('Public keys').inputValue()).toContain('portal-1');
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it("lists a key's resources one per line, and its client gets a token for one of them (RFC 8707)", async () => {
    const { context, page } = await openPage(cluster.url('application-registry', '/devportal'));
    await newApplicationWithKeys(page, 'Resource Client');
    const consumerKey = await page.locator('#consumer-key').inputValue();
    const consumerSecret = await page.locator('#consumer-secret').inputValue();
    expect(await page.getByLabel(/^Resources/).inputValue()).toBe('');
    const resources = ['https://api.example.com/orders', 'urn:example:billing'];
    await page.getByLabel(/^Resources/).fill(`${resources[0]}\n\n  ${resources[1]}  \n`);
    await page.getByRole('button', { name: 'Update' }).click();
    await waitForText(page.locator('#status'), 'keys updated');

    const introspectedAudience = async (resource: string) => {
      const authorization = `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}`;
      const form = { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' };
      const issued = await fetch(cluster.url('token-service', '/token'), { method: 'POST', headers: form, body: new URLSearchParams({ grant_type: 'client_credentials', resource }) });
      if (issued.status !== 200) return `status ${issued.status}`;
      const { access_token } = (await issued.json()) as { access_token: string };
      const introspected = await fetch(cluster.url('token-service', '/introspect'), { method: 'POST', headers: form, body: new URLSearchParams({ token: access_token }) });
      return ((await introspected.json()) as { aud: string }).aud;
    };
    // The key's update reaches the token service's client cache through the registry's event.
    const deadline = Date.now() + 5000;
    let audience = await introspectedAudience(resources[1]);
    while (audience !== resources[1] && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      audience = await introspectedAudience(resources[1]);
    }
    expect(audience).toBe(resources[1]);
    expect(await introspectedAudience('https://attacker.example/')).toBe('status 400');

    // Opened again, the form shows them, one per line.
    await page.reload();
    await page.locator('#sign-in-form').getByLabel('Username').fill(cluster.admin.username);
    await page.locator('#sign-in-form').getByLabel('Password').fill(cluster.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Open application Resource Client' }).click();
    await page.locator('#key-details').waitFor();
    expect(await page.getByLabel(/^Resources/).inputValue()).toBe(resources.join('\n'));
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('lets a key authenticate with client certificates: a CA-issued one by its subject DN, a registered one by its public key', async () => {
    const { context, page } = await openPage(cluster.url('application-registry', '/devportal'));
    await newApplicationWithKeys(page, 'Certified Service');
    const consumerKey = await page.locator('#consumer-key').inputValue();
    expect(await page.locator('#subject-dn-field').isVisible()).toBe(false);

    // A CA-issued certificate needs its subject DN: the form says so before anything is sent.
    await page.getByLabel('Client certificate from a trusted CA (mutual TLS, tls_client_auth)').check();
    await page.getByRole('button', { name: 'Update' }).click();
    await waitForText(page.getByRole('alert'), "Fill in the subject DN of the client's certificates.");
    await page.getByLabel('Certificate subject DN').fill('CN=certified-service,O=Example Corp,C=US');
    const certificate = makeCertificate({ subject: 'CN=certified-service' });
    await page.getByLabel('Registered client certificate (mutual TLS, self_signed_tls_client_auth)').check();
    await page.getByLabel('Public keys').fill(JSON.stringify({ keys: [certificate.publicKey.export({ format: 'jwk' })] }));
    await page.getByRole('button', { name: 'Update' }).click();
    await waitForText(page.locator('#status'), 'keys updated');

    // The registered certificate gets a token over mutual TLS, bound to it.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: consumerKey }).toString();
      const outgoing = httpsRequest(
        { host: '127.0.0.1', port: cluster.httpsPort('token-service'), path: '/token', method: 'POST', rejectUnauthorized: false, agent: false, cert: certificate.pem, key: certificate.keyPem, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    expect(answer.status).toBe(200);
    // Opened again, the form shows both methods ticked, the DN and the key.
    await page.reload();
    await page.locator('#sign-in-form').getByLabel('Username').fill(cluster.admin.username);
    await page.locator('#sign-in-form').getByLabel('Password').fill(cluster.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Open application Certified Service' }).click();
    await page.locator('#subject-dn-field').waitFor();
    expect(await page.getByLabel('Certificate subject DN').inputValue()).toBe('CN=certified-service,O=Example Corp,C=US');
    expect(await page.getByLabel('Registered client certificate (mutual TLS, self_signed_tls_client_auth)').isChecked()).toBe(true);
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('lets a key require DPoP: tick it, and the token endpoint refuses the key a request without a proof', async () => {
    const { context, page } = await openPage(cluster.url('application-registry', '/devportal'));
    await newApplicationWithKeys(page, 'Bound Service');
    const consumerKey = await page.locator('#consumer-key').inputValue();
    const consumerSecret = await page.locator('#consumer-secret').inputValue();
    expect(await page.getByLabel('Require DPoP').isChecked()).toBe(false);
    await page.getByLabel('Require DPoP').check();
    await page.getByRole('button', { name: 'Update' }).click();
    await waitForText(page.locator('#status'), 'keys updated');

    const tokenWithoutProof = () =>
      fetch(cluster.url('token-service', '/token'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
    const deadline = Date.now() + 5000;
    let answer = await tokenWithoutProof();
    while (answer.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      answer = await tokenWithoutProof();
    }
    expect([answer.status, ((await answer.json()) as { error: string }).error]).toEqual([400, 'invalid_dpop_proof']);
    // Opened again, the form shows the key requires DPoP.
    await page.reload();
    await page.locator('#sign-in-form').getByLabel('Username').fill(cluster.admin.username);
    await page.locator('#sign-in-form').getByLabel('Password').fill(cluster.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Open application Bound Service' }).click();
    await page.locator('#key-details').waitFor();
    expect(await page.getByLabel('Require DPoP').isChecked()).toBe(true);
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('tells whoever keeps guessing at the dashboard sign-in form to wait, once the sign-in limit is reached', async () => {
    const created = await fetch(cluster.url('application-registry', '/api/am/admin/v2/users'), {
      method: 'POST',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'dora', password: 'dora-secret-1', roles: ['admin'] }),
    });
    expect(created.status).toBe(201);
    const { context, page } = await openPage(cluster.url('analytics', '/'));
    const form = page.locator('#sign-in-form');
    // AUTH_FAILURE_LIMIT's default: ten wrong passwords are checked, then the form says to wait, even for the right one.
    for (let guess = 1; guess <= 10; guess += 1) {
      await form.getByLabel('Username').fill('dora');
      await form.getByLabel('Password').fill(`guess-${guess}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await waitForText(page.getByRole('alert'), /^Wrong username or password\.$/);
      // Cleared, so that the next wait sees the next answer, not this one.
      await page.evaluate("document.getElementById('error').textContent = ''");
    }
    await form.getByLabel('Password').fill('dora-secret-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForText(page.getByRole('alert'), /^Too many failed sign-ins from this address; try again in \d+ seconds\.$/);
    expect(await page.locator('#sign-in-section').isVisible()).toBe(true);
    await context.close();
    expect(pageProblems).toEqual([]);
  });
});

/** Clicks Refresh until the element shows the expected text (events reach analytics asynchronously). */
async function refreshUntil(page: Page, element: ReturnType<Page['locator']>, expected: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = await element.textContent();
  while (seen !== expected) {
    if (Date.now() > deadline) throw new Error(`expected ${expected}, the dashboard still shows ${seen}`);
    await page.waitForTimeout(300);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('button', { name: 'Refresh' }).and(page.locator(':enabled')).waitFor();
    seen = await element.textContent();
  }
}

/** Waits until the locator finds exactly that many elements (the page updates asynchronously). */
async function waitForCount(locator: ReturnType<Page['locator']>, expected: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await locator.count()) !== expected) {
    if (Date.now() > deadline) throw new Error(`expected ${expected} elements, found ${await locator.count()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the element's text contains the string or matches the pattern (the page updates asynchronously). */
async function waitForText(element: ReturnType<Page['locator']>, expected: string | RegExp, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string | null = null;
  for (;;) {
    seen = (await element.count()) > 0 ? ((await element.first().textContent()) ?? '').trim() : null;
    if (seen !== null && (typeof expected === 'string' ? seen.includes(expected) : expected.test(seen))) return;
    if (Date.now() > deadline) throw new Error(`expected text ${String(expected)}, found ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
