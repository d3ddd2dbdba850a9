import { z } from 'zod/v4';
import { problemOf } from './message-schema';
import { ClientRecord, RPC_SCHEMAS, RPC_SUBJECTS, RpcSubject } from './rpc';

const check = (schema: z.ZodType, value: unknown): string | null => {
  const checked = schema.safeParse(value);
  return checked.success ? null : problemOf(checked.error);
};
const request = (subject: RpcSubject, value: unknown) => check(RPC_SCHEMAS[subject].request, value);
const response = (subject: RpcSubject, value: unknown) => check(RPC_SCHEMAS[subject].response, value);

/** A client record as the registry answers it (KeysService.clientRecord). */
const record: ClientRecord = {
  consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs',
  secrets: [{ secretId: '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', hash: 'A'.repeat(32) + 'f'.repeat(32), expiresAt: null }],
  keyMappingId: '5b0a3c1e-2d4f-4a6b-8c9d-0e1f2a3b4c5d',
  keyType: 'PRODUCTION',
  keyState: 'ACTIVE',
  grantTypes: ['client_credentials', 'password'],
  scopes: [{ name: 'orders:read', bindings: ['subscriber'] }],
  validityTime: 7200,
  applicationId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11',
  applicationName: 'Keys App',
  owner: 'alice',
  tokenType: 'OAUTH',
  tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] },
  resources: ['https://api.example.com/orders'],
  requireDpop: false,
};

describe('RPC schemas', () => {
  it('cover exactly the RPC subjects', () => {
    expect(Object.keys(RPC_SCHEMAS).sort()).toEqual(Object.values(RPC_SUBJECTS).sort());
  });

  it('accept well-formed requests', () => {
    expect(request(RPC_SUBJECTS.getClient, { consumerKey: 'abc' })).toBeNull();
    expect(request(RPC_SUBJECTS.getClient, { consumerKey: 'k'.repeat(256) })).toBeNull();
    expect(request(RPC_SUBJECTS.authenticateUser, { username: 'alice', password: '', clientAddress: '192.0.2.1' })).toBeNull();
    expect(request(RPC_SUBJECTS.introspect, { token: '' })).toBeNull();
    // What the registry's generate-token sends (KeysService.generateToken): the optional fields only when given.
    expect(request(RPC_SUBJECTS.issueToken, { consumerKey: 'abc' })).toBeNull();
    expect(request(RPC_SUBJECTS.issueToken, { consumerKey: 'abc', validityPeriod: -1, scopes: ['orders:read'] })).toBeNull();
  });

  it.each([null, 'text', [], {}, { consumerKey: 5 }, { consumerKey: '' }, { consumerKey: 'k'.repeat(257) }])('refuse client.get %j', (data) => {
    expect(typeof request(RPC_SUBJECTS.getClient, data)).toBe('string');
  });

  it.each([null, 'text', {}, { username: 'a' }, { username: 1, password: 'p' }, { username: '', password: 'p' }])('refuse user.authenticate %j', (data) => {
    expect(typeof request(RPC_SUBJECTS.authenticateUser, data)).toBe('string');
  });

  it('say what is wrong with a request as the hand-written checks before them did', () => {
    expect(request(RPC_SUBJECTS.getClient, 'text')).toBe('the request must be an object');
    expect(request(RPC_SUBJECTS.getClient, { consumerKey: 42 })).toBe('consumerKey must be a non-empty string of at most 256 characters');
    expect(request(RPC_SUBJECTS.authenticateUser, { username: '', password: 'p', clientAddress: '192.0.2.1' })).toBe('username must be a non-empty string');
    expect(request(RPC_SUBJECTS.authenticateUser, { username: 'a', clientAddress: '192.0.2.1' })).toBe('password must be a string');
    expect(request(RPC_SUBJECTS.authenticateUser, { username: 'a', password: 'p' })).toBe('clientAddress must be a non-empty string of at most 100 characters');
    expect(request(RPC_SUBJECTS.introspect, { token: 5 })).toBe('token must be a string');
    expect(request(RPC_SUBJECTS.issueToken, {})).toBe('consumerKey is required');
    expect(request(RPC_SUBJECTS.issueToken, { consumerKey: 'k', validityPeriod: true })).toBe('validityPeriod must be a number of seconds');
    expect(request(RPC_SUBJECTS.issueToken, { consumerKey: 'k', scopes: ['a', 1] })).toBe('scopes must be a list of strings');
  });

  it('accept the answers the services give', () => {
    expect(response(RPC_SUBJECTS.getClient, record)).toBeNull();
    expect(response(RPC_SUBJECTS.getClient, null)).toBeNull();
    expect(response(RPC_SUBJECTS.getClient, { ...record, scopes: [], grantTypes: [], keyState: 'REVOKED', addedLater: 1 })).toBeNull();
    expect(response(RPC_SUBJECTS.authenticateUser, { authenticated: true, username: 'alice', roles: ['subscriber'] })).toBeNull();
    expect(response(RPC_SUBJECTS.authenticateUser, { authenticated: false })).toBeNull();
    expect(response(RPC_SUBJECTS.authenticateUser, { authenticated: false, retryAfterSeconds: 42 })).toBeNull();
    expect(response(RPC_SUBJECTS.introspect, { active: false })).toBeNull();
    const active = { active: true, scope: 'default', client_id: 'c', token_type: 'Bearer', exp: 2, iat: 1, nbf: 1, sub: 'c', aud: 'c', iss: 'https://localhost:8243/oauth2/token', jti: 'j' };
    expect(response(RPC_SUBJECTS.introspect, active)).toBeNull();
    expect(response(RPC_SUBJECTS.introspect, { ...active, username: 'alice' })).toBeNull();
    expect(response(RPC_SUBJECTS.issueToken, { accessToken: 'token', tokenScopes: ['default'], validityTime: 3600 })).toBeNull();
  });

  it('refuse a malformed client record: the token service must not trust one that would break the token path', () => {
    expect(response(RPC_SUBJECTS.getClient, { ...record, scopes: 'read' })).toBe('scopes must be a list of {name, bindings}');
    expect(response(RPC_SUBJECTS.getClient, { ...record, scopes: [{ name: 'read' }] })).toBe('scopes must be a list of strings');
    expect(response(RPC_SUBJECTS.getClient, { ...record, secrets: [{ ...record.secrets[0], hash: 'short' }] })).toBe('secrets must be 64 hexadecimal digits');
    expect(response(RPC_SUBJECTS.getClient, { ...record, secrets: Array(6).fill(record.secrets[0]) })).toBe('secrets must be a list of at most 5 secrets');
    expect(response(RPC_SUBJECTS.getClient, { ...record, grantTypes: undefined })).toMatch(/^grantTypes must be a list of /);
    expect(response(RPC_SUBJECTS.getClient, { ...record, keyState: 'BLOCKED' })).toBe('keyState must be one of ACTIVE, REVOKED');
    expect(response(RPC_SUBJECTS.getClient, { ...record, keyType: 'production' })).toBe('keyType must be one of PRODUCTION, SANDBOX');
    expect(response(RPC_SUBJECTS.getClient, { ...record, tokenType: 'SAML' })).toBe('tokenType must be one of JWT, OAUTH');
    expect(response(RPC_SUBJECTS.getClient, { ...record, validityTime: '3600' })).toBe('validityTime must be a number');
    // A registry from before resource indicators: upgrade the registries first (docs/operations.md).
    expect(response(RPC_SUBJECTS.getClient, { ...record, resources: undefined })).toBe('resources must be a list of strings');
    // A registry older than requireDpop sends none: refused rather than taken for false (upgrade the registry first).
    expect(response(RPC_SUBJECTS.getClient, { ...record, requireDpop: undefined })).toBe('requireDpop must be a boolean');
    // The token service writes its events from the record: what they could not carry is refused here already.
    expect(response(RPC_SUBJECTS.getClient, { ...record, applicationId: 'a'.repeat(101) })).toBe('applicationId must be a non-empty string of at most 100 characters');
    expect(response(RPC_SUBJECTS.getClient, { ...record, consumerKey: '' })).toBe('consumerKey must be a non-empty string of at most 255 characters');
    expect(response(RPC_SUBJECTS.getClient, 'record')).not.toBeNull();
    expect(response(RPC_SUBJECTS.introspect, { active: true })).not.toBeNull();
    expect(response(RPC_SUBJECTS.authenticateUser, { authenticated: true, username: 'alice' })).not.toBeNull();
  });
});
