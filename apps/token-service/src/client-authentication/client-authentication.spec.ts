import { createHash } from 'node:crypto';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { parseBasicAuthorization, presentedCredentials } from './presented-credentials';
import { ClientRecord, consumerSecretMatches, matchingSecret } from '@keymint/contracts';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { Database } from '@keymint/persistence';
import { JtiReplays } from '../oauth2/jti-replays';
import { ClientAuthenticator } from './client-authenticator';
import { ClientCache } from './client-cache';
import { MutualTlsAuthenticator } from './mutual-tls';
import { SecretUseReporter } from './secret-use-reporter';
import { rateLimited } from '@keymint/http-kit';
import { ClientAuthenticationFailureReason, clientAuthenticationFailures, ClientAuthenticationMethod } from '../metrics/token-metrics';


const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function errorOf(action: () => unknown): OAuth2Error | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof OAuth2Error) return error;
    throw error;
  }
  return undefined;
}

describe('Basic authorization (RFC 6749 Appendix B)', () => {
  it.each([
    [`Basic ${b64('key:secret')}`, 'key', 'secret'],
    [`basic ${b64('key:secret')}`, 'key', 'secret'],
    [`BASIC   ${b64('key:secret')}`, 'key', 'secret'],
    [`Basic ${b64('key:se%3Acr+et%2B%25')}`, 'key', 'se:cr et+%'],
    [`Basic ${b64('k%C3%BCy:a:b')}`, 'küy', 'a:b'],
    [`Basic ${b64('key:')}`, 'key', ''],
  ])('%s', (header, username, password) => {
    expect(parseBasicAuthorization(header)).toEqual({ kind: 'credentials', username, password });
  });

  it.each([`Basic ${b64('no-colon')}`, 'Basic', 'Basic !!!', `Basic ${b64('key:%E0%A4%A')}`, `Basic ${b64(':secret')}`])('%s is malformed', (header) => {
    expect(parseBasicAuthorization(header).kind).toBe('malformed');
  });

  it('ignores other schemes and a missing header', () => {
    expect(parseBasicAuthorization(undefined).kind).toBe('absent');
    expect(parseBasicAuthorization('Bearer abc').kind).toBe('absent');
  });
});

describe('presentedCredentials', () => {
  const header = `Basic ${b64('key:secret')}`;

  it('takes Basic or the body', () => {
    expect(presentedCredentials(header, {})).toEqual({ clientId: 'key', clientSecret: 'secret', method: 'client_secret_basic' });
    expect(presentedCredentials(header, { client_id: 'key' })).toEqual({ clientId: 'key', clientSecret: 'secret', method: 'client_secret_basic' });
    expect(presentedCredentials(undefined, { client_id: 'key', client_secret: 's' })).toEqual({ clientId: 'key', clientSecret: 's', method: 'client_secret_post' });
  });

  it('takes a client assertion, naming its client by client_id or by the assertion\'s sub', () => {
    const assertion = `${b64url({ alg: 'ES256' })}.${b64url({ sub: 'key', iss: 'key' })}.c2ln`;
    const type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    expect(presentedCredentials(undefined, { client_assertion_type: type, client_assertion: assertion })).toEqual({ clientId: 'key', assertion, method: 'private_key_jwt' });
    expect(presentedCredentials(undefined, { client_id: 'key', client_assertion_type: type, client_assertion: assertion }).clientId).toBe('key');
  });

  it.each<[string, string | undefined, Record<string, string>, number, string]>([
    ['both methods', header, { client_secret: 'secret' }, 400, 'invalid_request'],
    ['a differing client_id', header, { client_id: 'other' }, 400, 'invalid_request'],
    ['nothing', undefined, {}, 401, 'invalid_client'],
    ['client_id without secret', undefined, { client_id: 'key' }, 401, 'invalid_client'],
    ['a malformed header', 'Basic ???', {}, 401, 'invalid_client'],
    ['Basic and an assertion', header, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' }, 400, 'invalid_request'],
    ['a secret and an assertion', undefined, { client_id: 'key', client_secret: 's', client_assertion: 'a.b.c' }, 400, 'invalid_request'],
    ['another assertion type', undefined, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: 'a.b.c' }, 400, 'invalid_request'],
    ['an assertion type without assertion', undefined, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' }, 400, 'invalid_request'],
    ['an assertion naming no client', undefined, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' }, 401, 'invalid_client'],
    ['a client_id that is not the assertion\'s sub', undefined, { client_id: 'other', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: `${b64url({ alg: 'ES256' })}.${b64url({ sub: 'key' })}.c2ln` }, 400, 'invalid_request'],
  ])('%s → %d %s', (_name, authorization, parameters, status, code) => {
    const error = errorOf(() => presentedCredentials(authorization, parameters));
    expect({ status: error?.getStatus(), code: error?.code }).toEqual({ status, code });
    if (status === 401) expect(error?.headers['WWW-Authenticate']).toBe('Basic realm="keymint"');
  });
});

describe('consumerSecretMatches', () => {
  const hash = createHash('sha256').update('the-secret').digest('hex');
  it('compares SHA-256 hashes', () => {
    expect(consumerSecretMatches('the-secret', hash)).toBe(true);
    expect(consumerSecretMatches('the-secreT', hash)).toBe(false);
    expect(consumerSecretMatches('the-secret', 'abcd')).toBe(false);
  });
});

describe('matchingSecret (several secrets per key)', () => {
  const sha = (secret: string) => createHash('sha256').update(secret).digest('hex');
  const now = 1_000_000;
  const secrets = [
    { secretId: 'old', hash: sha('old-secret'), expiresAt: null },
    { secretId: 'new', hash: sha('new-secret'), expiresAt: now + 1 },
    { secretId: 'gone', hash: sha('expired-secret'), expiresAt: now },
  ];
  it('accepts any unexpired secret and refuses an expired or unknown one', () => {
    expect(matchingSecret('old-secret', secrets, now)?.secretId).toBe('old');
    expect(matchingSecret('new-secret', secrets, now)?.secretId).toBe('new');
    expect(matchingSecret('expired-secret', secrets, now)).toBeNull();
    expect(matchingSecret('new-secret', secrets, now + 1)).toBeNull();
    expect(matchingSecret('other', secrets, now)).toBeNull();
    expect(matchingSecret('old-secret', [], now)).toBeNull();
  });
});

describe('ClientAuthenticator with several secrets', () => {
  const sha = (secret: string) => createHash('sha256').update(secret).digest('hex');
  const client = {
    consumerKey: 'key',
    keyState: 'ACTIVE',
    tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
    secrets: [
      { secretId: 'live', hash: sha('live-secret'), expiresAt: null },
      { secretId: 'expired', hash: sha('expired-secret'), expiresAt: Date.now() - 1 },
    ],
  } as ClientRecord;
  const used: string[] = [];
  const authenticator = () =>
    new ClientAuthenticator(
      { ISSUER: 'https://localhost:8243/oauth2/token' },
      { get: async () => client } as unknown as ClientCache,
      new SignInLimiter(2),
      new JtiReplays({ postgres: false } as Database),
      { record: (secretId: string) => used.push(secretId) } as unknown as SecretUseReporter,
      new MutualTlsAuthenticator({}),
    );
  const basic = (clientSecret: string) => ({ method: 'client_secret_basic' as const, clientId: 'key', clientSecret });
  const codeOf = (attempt: Promise<unknown>) => attempt.then(() => 'ok', (error: OAuth2Error) => error.code);

  it('counts an expired secret against the failure limit exactly as a wrong one, and reports only the secret that authenticated', async () => {
    const subject = authenticator();
    expect(await codeOf(subject.authenticate(basic('live-secret'), '192.0.2.1', 'token', undefined))).toBe('ok');
    expect(used).toEqual(['live']);
    const codes = [];
    for (let attempt = 0; attempt < 3; attempt += 1) codes.push(await codeOf(subject.authenticate(basic('expired-secret'), '192.0.2.1', 'token', undefined)));
    expect(codes).toEqual(['invalid_client', 'invalid_client', 'too_many_requests']);
    expect(used).toEqual(['live']);
  });
});

describe('ClientAuthenticator failure metrics', () => {
  const sha = (secret: string) => createHash('sha256').update(secret).digest('hex');
  const record = (overrides: Partial<ClientRecord> = {}) =>
    ({
      consumerKey: 'key',
      keyState: 'ACTIVE',
      tokenEndpointAuthMethods: ['client_secret_basic', 'private_key_jwt'],
      secrets: [
        { secretId: 'live', hash: sha('live-secret'), expiresAt: null },
        { secretId: 'expired', hash: sha('expired-secret'), expiresAt: Date.now() - 1 },
      ],
      jwks: null,
      ...overrides,
    }) as ClientRecord;
  const authenticator = (client: ClientRecord | null, limit = 10) =>
    new ClientAuthenticator(
      { ISSUER: 'https://localhost:8243/oauth2/token' },
      { get: async () => client } as unknown as ClientCache,
      new SignInLimiter(limit),
      new JtiReplays({ postgres: false } as Database),
      { record: () => undefined } as unknown as SecretUseReporter,
      new MutualTlsAuthenticator({}),
    );
  const basic = (clientSecret: string) => ({ method: 'client_secret_basic' as const, clientId: 'key', clientSecret });
  const post = (clientSecret: string) => ({ method: 'client_secret_post' as const, clientId: 'key', clientSecret });
  const assertion = { method: 'private_key_jwt' as const, clientId: 'key', assertion: 'not.a.jwt' };
  const failures = (reason: ClientAuthenticationFailureReason, method: ClientAuthenticationMethod) => clientAuthenticationFailures.labels({ reason, method }).value;

  it.each<[string, ClientRecord | null, Parameters<ClientAuthenticator['authenticate']>[0], ClientAuthenticationFailureReason, ClientAuthenticationMethod]>([
    ['an unknown key', null, basic('live-secret'), 'unknown_client', 'client_secret_basic'],
    ['a revoked key', record({ keyState: 'REVOKED' }), basic('live-secret'), 'inactive_client', 'client_secret_basic'],
    ['a method the key does not allow', record(), post('live-secret'), 'method_not_allowed', 'client_secret_post'],
    ['a wrong secret', record(), basic('wrong'), 'bad_secret', 'client_secret_basic'],
    ['an expired secret', record(), basic('expired-secret'), 'expired_secret', 'client_secret_basic'],
    ['an assertion that is no JWT', record(), assertion, 'bad_assertion', 'private_key_jwt'],
    ['a certificate for a key without mutual TLS', record(), { method: 'mutual_tls', clientId: 'key', certificate: {} as never }, 'method_not_allowed', 'mutual_tls'],
  ])('counts %s under its reason and method, once', async (_case, client, credentials, reason, method) => {
    const before = failures(reason, method);
    const error = await authenticator(client).authenticate(credentials, '192.0.2.1', 'token', undefined).catch((thrown: unknown) => thrown);
    expect((error as OAuth2Error).code).toBe('invalid_client');
    expect(failures(reason, method)).toBe(before + 1);
  });

  it('counts no failure for credentials that authenticate', async () => {
    const total = () => (['bad_secret', 'expired_secret', 'unknown_client'] as const).reduce((sum, reason) => sum + failures(reason, 'client_secret_basic'), 0);
    const before = total();
    await authenticator(record()).authenticate(basic('live-secret'), '192.0.2.1', 'token', undefined);
    expect(total()).toBe(before);
  });

  it('counts a 429 under its endpoint and the client limit, whether it comes with a failure or refuses without a check', async () => {
    const limited = () => rateLimited.labels({ endpoint: 'revoke', limiter: 'client' }).value;
    const before = limited();
    const wrongBefore = failures('bad_secret', 'client_secret_basic');
    const subject = authenticator(record(), 1);
    const codes = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      codes.push(await subject.authenticate(basic('wrong'), '192.0.2.9', 'revoke', undefined).then(() => 'ok', (error: OAuth2Error) => error.code));
    }
    expect(codes).toEqual(['invalid_client', 'too_many_requests', 'too_many_requests']);
    expect(limited()).toBe(before + 2);
    expect(failures('bad_secret', 'client_secret_basic')).toBe(wrongBefore + 1);
  });
});
