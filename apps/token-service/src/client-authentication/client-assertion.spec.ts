import { constants, createHmac, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { assertionSubject, ClientJwks, verifyClientAssertion } from './client-assertion';

const CLIENT = 'client-key-1';
const AUD = 'https://localhost:8243/oauth2/token';
const NOW = 1_800_000_000_000;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const jwks: ClientJwks = {
  keys: [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' },
    { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed-1' },
  ],
};
const client = { consumerKey: CLIENT, jwks };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function signed(alg: string, key: KeyObject | null, header: Record<string, unknown> = {}, claims: Record<string, unknown> = {}): string {
  const payload = { iss: CLIENT, sub: CLIENT, aud: AUD, exp: NOW / 1000 + 60, iat: NOW / 1000, jti: 'jti-1', ...claims };
  const data = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
  let signature: Buffer;
  if (alg === 'none') signature = Buffer.alloc(0);
  else if (alg === 'EdDSA') signature = sign(null, Buffer.from(data), key!);
  else if (alg === 'ES256') signature = sign('sha256', Buffer.from(data), { key: key!, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'PS256') signature = sign('sha256', Buffer.from(data), { key: key!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else signature = sign('sha256', Buffer.from(data), key!);
  return `${data}.${signature.toString('base64url')}`;
}

function refusal(assertion: string, registered: { consumerKey: string; jwks: ClientJwks | null } = client): string {
  try {
    verifyClientAssertion(assertion, registered, [AUD], NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(OAuth2Error);
    expect((error as OAuth2Error).code).toBe('invalid_client');
    return (error as OAuth2Error).description;
  }
  throw new Error('the assertion was accepted');
}

describe('verifyClientAssertion (private_key_jwt, RFC 7523)', () => {
  it.each([
    ['RS256', rsa.privateKey, 'rsa-1'],
    ['PS256', rsa.privateKey, 'rsa-1'],
    ['ES256', ec.privateKey, 'ec-1'],
    ['EdDSA', ed.privateKey, 'ed-1'],
  ] as const)('accepts %s signed by a registered key, with or without its kid', (alg, key, kid) => {
    expect(verifyClientAssertion(signed(alg, key, { kid }), client, [AUD], NOW)).toEqual({ jti: 'jti-1', expiresAt: NOW + 90_000 });
    expect(verifyClientAssertion(signed(alg, key), client, [AUD], NOW).jti).toBe('jti-1');
  });

  it('accepts aud as an array naming this server', () => {
    expect(verifyClientAssertion(signed('ES256', ec.privateKey, {}, { aud: ['https://elsewhere', AUD] }), client, [AUD], NOW).jti).toBe('jti-1');
  });

  it('names the client it claims to be before any check', () => {
    expect(assertionSubject(signed('ES256', ec.privateKey))).toBe(CLIENT);
    expect(assertionSubject('not-a-jwt')).toBeNull();
  });

  it.each<[string, () => string, RegExp]>([
    ['alg none', () => signed('none', null), /alg "none" is not accepted/],
    ['HS256 with the key as a secret', () => {
      const data = `${b64({ alg: 'HS256' })}.${b64({ iss: CLIENT, sub: CLIENT, aud: AUD, exp: NOW / 1000 + 60, jti: 'x' })}`;
      return `${data}.${createHmac('sha256', JSON.stringify(jwks.keys[1])).update(data).digest('base64url')}`;
    }, /alg "HS256" is not accepted/],
    ['a wrong aud', () => signed('ES256', ec.privateKey, {}, { aud: 'https://other.example/token' }), /aud must name this authorization server/],
    ['no aud', () => signed('ES256', ec.privateKey, {}, { aud: undefined }), /aud must name/],
    ['an expired exp', () => signed('ES256', ec.privateKey, {}, { exp: NOW / 1000 - 31 }), /has expired/],
    ['no exp', () => signed('ES256', ec.privateKey, {}, { exp: undefined }), /numeric exp/],
    ['an exp an hour ahead', () => signed('ES256', ec.privateKey, {}, { exp: NOW / 1000 + 3600 }), /too far ahead/],
    ['an nbf in the future', () => signed('ES256', ec.privateKey, {}, { nbf: NOW / 1000 + 120 }), /nbf is in the future/],
    ['an iat in the future', () => signed('ES256', ec.privateKey, {}, { iat: NOW / 1000 + 120 }), /iat is in the future/],
    ['no jti', () => signed('ES256', ec.privateKey, {}, { jti: undefined }), /must have a jti/],
    ['a sub that is another client', () => signed('ES256', ec.privateKey, {}, { sub: 'someone-else' }), /iss and sub must both be the client_id/],
    ['no iss', () => signed('ES256', ec.privateKey, {}, { iss: undefined }), /iss and sub/],
    ['an unknown kid', () => signed('ES256', ec.privateKey, { kid: 'nope' }), /kid "nope"/],
    ['a key the client did not register', () => signed('ES256', other.privateKey), /signature does not match/],
    ['a registered kid of another type', () => signed('ES256', ec.privateKey, { kid: 'rsa-1' }), /can verify ES256/],
    ['a tampered payload', () => {
      const [header, , signature] = signed('ES256', ec.privateKey).split('.');
      return `${header}.${b64({ iss: CLIENT, sub: CLIENT, aud: AUD, exp: NOW / 1000 + 60, jti: 'other' })}.${signature}`;
    }, /signature does not match/],
    ['something that is no JWT', () => 'a.b', /not a signed JWT/],
  ])('refuses %s', (_name, make, reason) => {
    expect(refusal(make())).toMatch(reason);
  });

  it('refuses every assertion of a client without registered keys', () => {
    expect(refusal(signed('ES256', ec.privateKey), { consumerKey: CLIENT, jwks: null })).toMatch(/no registered public keys/);
  });
});
