/** The few REST calls the benchmark makes to keymint, exactly as a user would (docs/token-api.md, docs/registry.md, docs/analytics.md). */

export interface Credentials {
  username: string;
  password: string;
}

export interface ClientKeys {
  consumerKey: string;
  consumerSecret: string;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

export function basicAuthorization(username: string, password: string): string {
  // RFC 6749 Appendix B: form-urlencode each part before base64.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(username)}:${encode(password)}`).toString('base64')}`;
}

/** Something keymint answered that the benchmark could not use; carries what the user would see. */
export class KeymintApiError extends Error {
  constructor(
    readonly what: string,
    readonly answer: HttpAnswer | null,
    cause?: unknown,
  ) {
    super(answer ? `${what}: HTTP ${answer.status} ${truncate(answer.text)}` : `${what}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export async function request(url: string, init: { method: string; headers?: Record<string, string>; body?: string }, what: string): Promise<HttpAnswer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15000) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    throw new KeymintApiError(what, null, error);
  }
}

function parseJson(answer: HttpAnswer, what: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(answer.text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: reported below with the body
  }
  throw new KeymintApiError(`${what} (not a JSON object)`, answer);
}

function expectStatus(answer: HttpAnswer, expected: number[], what: string): Record<string, unknown> {
  if (!expected.includes(answer.status)) throw new KeymintApiError(what, answer);
  return parseJson(answer, what);
}

export class RegistryApi {
  private readonly authorization: string;

  constructor(
    private readonly baseUrl: string,
    admin: Credentials,
  ) {
    this.authorization = basicAuthorization(admin.username, admin.password);
  }

  private post(path: string, body: unknown, what: string): Promise<HttpAnswer> {
    return request(
      `${this.baseUrl}${path}`,
      { method: 'POST', headers: { authorization: this.authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) },
      what,
    );
  }

  async createApplication(name: string, tokenType: 'OAUTH' | 'JWT'): Promise<string> {
    const what = `POST /api/am/devportal/v2/applications (${tokenType})`;
    const body = expectStatus(
      await this.post('/api/am/devportal/v2/applications', { name, throttlingPolicy: 'Unlimited', description: 'keymint benchmark', tokenType }, what),
      [200, 201],
      what,
    );
    if (typeof body.applicationId !== 'string') throw new KeymintApiError(`${what} (no applicationId)`, { status: 201, text: JSON.stringify(body) });
    return body.applicationId;
  }

  /** `keySettings`: more of the key's fields (docs/registry.md), such as tokenEndpointAuthMethods and jwks, or scopes. */
  async generateKeys(applicationId: string, grantTypes: string[], keySettings: Record<string, unknown> = {}): Promise<ClientKeys> {
    const what = 'POST /api/am/devportal/v2/applications/{id}/generate-keys';
    const body = expectStatus(
      await this.post(`/api/am/devportal/v2/applications/${encodeURIComponent(applicationId)}/generate-keys`, { keyType: 'PRODUCTION', grantTypesToBeSupported: grantTypes, ...keySettings }, what),
      [200, 201],
      what,
    );
    if (typeof body.consumerKey !== 'string' || typeof body.consumerSecret !== 'string') {
      throw new KeymintApiError(`${what} (no consumerKey/consumerSecret)`, { status: 200, text: '(body withheld: it may hold a secret)' });
    }
    return { consumerKey: body.consumerKey, consumerSecret: body.consumerSecret };
  }

  /** An end user (no role): may only use the password grant. */
  async createUser(username: string, password: string): Promise<void> {
    const what = 'POST /api/am/admin/v2/users';
    expectStatus(await this.post('/api/am/admin/v2/users', { username, password, roles: [] }, what), [200, 201], what);
  }
}

export interface AnalyticsCounts {
  minted: number;
  served: number;
}

export class AnalyticsApi {
  /** `authorization`: the header every call sends (adminBearerToken's, or the admin's Basic credentials). */
  constructor(
    private readonly baseUrl: string,
    private readonly authorization: string,
  ) {}

  /** Totals over every grant since `from` (served counts every token handed out, minted the new ones). */
  async counts(from: Date): Promise<AnalyticsCounts> {
    const what = 'GET /api/analytics/v1/summary';
    const answer = await request(
      `${this.baseUrl}/api/analytics/v1/summary?from=${encodeURIComponent(from.toISOString())}`,
      { method: 'GET', headers: { authorization: this.authorization } },
      what,
    );
    const body = expectStatus(answer, [200], what);
    return { minted: sumCounts(body.minted), served: sumCounts(body.served) };
  }
}

/**
 * A Bearer token with `apim:admin` for the analytics API (password grant on an application of the admin's own),
 * as a dashboard or monitoring client holds one. With Basic, the benchmark's first poll after a run paid a scrypt
 * check of the admin's password at the registry whenever the registry's 30 s cache of it had lapsed (always, after
 * the peer's turn): ~0.4 s that was reported as analytics lag. A Bearer token costs an introspection.
 */
export async function adminBearerToken(registry: RegistryApi, tokenServiceUrl: string, admin: Credentials): Promise<string> {
  const applicationId = await registry.createApplication(`benchmark-analytics-reader-${Date.now().toString(36)}`, 'OAUTH');
  const keys = await registry.generateKeys(applicationId, ['password'], { scopes: ['apim:admin'] });
  const what = 'POST /token (password grant, scope apim:admin)';
  const body = new URLSearchParams({ grant_type: 'password', username: admin.username, password: admin.password, scope: 'apim:admin', validity_period: '86400' });
  const answer = await request(
    `${tokenServiceUrl}/token`,
    { method: 'POST', headers: { authorization: basicAuthorization(keys.consumerKey, keys.consumerSecret), 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() },
    what,
  );
  if (answer.status !== 200) throw new KeymintApiError(what, answer);
  const token = parseJson(answer, what);
  if (typeof token.access_token !== 'string' || !String(token.scope ?? '').split(' ').includes('apim:admin')) {
    throw new KeymintApiError(`${what} (no access_token with apim:admin)`, { status: 200, text: `scope: ${String(token.scope)}` });
  }
  return `Bearer ${token.access_token}`;
}

function sumCounts(value: unknown): number {
  if (!value || typeof value !== 'object') return 0;
  return Object.values(value as Record<string, unknown>).reduce<number>((sum, count) => sum + (typeof count === 'number' ? count : 0), 0);
}

export function truncate(text: string, length = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

/**
 * 200 answers of the token endpoint as the token service itself counts them
 * (`http_requests_total` on /metrics). Unlike the load generator's count, this includes the
 * requests still in flight when autocannon stops (it drops up to one per connection unanswered),
 * which the service completed and analytics must count too.
 */
export function tokenResponsesFromMetrics(metricsText: string): number {
  let total = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    const match = /^http_requests_total\{([^}]*)\}\s+([0-9.eE+-]+)\s*$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
    if ((labels.route === '/token' || labels.route === '/oauth2/token') && labels.method === 'POST' && labels.status === '200') total += Number(match[2]);
  }
  return total;
}

export async function tokenResponsesServed(tokenServiceUrl: string): Promise<number> {
  const what = 'GET /metrics (token service)';
  const answer = await request(`${tokenServiceUrl}/metrics`, { method: 'GET' }, what);
  if (answer.status !== 200) throw new KeymintApiError(what, answer);
  return tokenResponsesFromMetrics(answer.text);
}

/** The `alg` of a JWT's header; null for an opaque token. */
export function jwtAlgorithm(token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : null;
  } catch {
    return null;
  }
}
