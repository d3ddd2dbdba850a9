import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { dpopProof, publicJwk, thumbprint } from '../../../../test/support/dpop';
import { jwkThumbprint } from '../oauth2/jws';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { DpopNonces } from './dpop-nonces';
import { normalizedHtu, ProofExpectation, verifyDpopProof } from './dpop-proof';

const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const TOKEN_URI = 'https://auth.example.com/oauth2/token';
const EXPECTED: ProofExpectation = { method: 'POST', targets: [TOKEN_URI] };

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
/** An odd number of 8200 bits: a modulus no real key of the allowed sizes has (no factoring needed to refuse it). */
const hugeModulus = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(1023, 0x5a), Buffer.from([0x01])]).toString('base64url');

/** A proof for TOKEN_URI at NOW, by the EC key unless told otherwise. */
function proof(options: { alg?: string; key?: KeyObject; header?: Record<string, unknown>; claims?: Record<string, unknown>; signature?: Buffer } = {}): string {
  return dpopProof(options.key ?? ec.privateKey, { htu: TOKEN_URI, iat: Math.floor(NOW / 1000), ...options });
}

function refusal(jwt: string, expected = EXPECTED, now = NOW): string {
  try {
    verifyDpopProof(jwt, expected, now);
  } catch (error) {
    expect(error).toBeInstanceOf(OAuth2Error);
    expect((error as OAuth2Error).code).toBe('invalid_dpop_proof');
    expect((error as OAuth2Error).getStatus()).toBe(400);
    return (error as OAuth2Error).description;
  }
  throw new Error('the proof was accepted');
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  it.each([
    ['ES256', ec.privateKey],
    ['EdDSA', ed.privateKey],
    ['RS256', rsa.privateKey],
    ['PS256', rsa.privateKey],
  ] as const)('accepts a proof signed with %s and answers the RFC 7638 thumbprint of its key', (alg, key) => {
    const jti = randomUUID();
    const verified = verifyDpopProof(proof({ alg, key, claims: { jti } }), EXPECTED, NOW);
    expect(verified).toEqual({ jkt: thumbprint(key), jti, acceptableUntil: NOW + 60_000, nonce: undefined });
    expect(verified.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('hands the nonce claim to the caller', () => {
    expect(verifyDpopProof(proof({ claims: { nonce: 'n-1' } }), EXPECTED, NOW).nonce).toBe('n-1');
  });

  it('compares htu without query and fragment, scheme and host in any case, the default port left out', () => {
    for (const htu of ['HTTPS://Auth.Example.COM/oauth2/token', 'https://auth.example.com:443/oauth2/token', 'https://auth.example.com/oauth2/token?x=1#f', 'https://auth.example.com/oauth2/../oauth2/token']) {
      expect(verifyDpopProof(proof({ claims: { htu } }), EXPECTED, NOW).jkt).toBeTruthy();
    }
    expect(normalizedHtu('http://Host:80/a/./b?q')).toBe('http://host/a/b');
    expect(normalizedHtu('https://host:8443/token')).toBe('https://host:8443/token');
    expect(normalizedHtu('ftp://host/token')).toBeNull();
    expect(normalizedHtu('/token')).toBeNull();
  });

  it.each<[string, () => string, RegExp]>([
    ['not a JWT', () => 'not-a-jwt', /not a signed JWT/],
    ['a JWT of two parts', () => proof().split('.').slice(0, 2).join('.'), /not a signed JWT/],
    ['no typ', () => proof({ header: { typ: undefined } }), /header has no typ/],
    ['no jwk', () => proof({ header: { jwk: undefined } }), /header has no jwk/],
    ['no jti', () => proof({ claims: { jti: undefined } }), /no jti claim/],
    ['no htm', () => proof({ claims: { htm: undefined } }), /no htm claim/],
    ['no htu', () => proof({ claims: { htu: undefined } }), /no htu claim/],
    ['no iat', () => proof({ claims: { iat: undefined } }), /no iat claim/],
    ['typ JWT', () => proof({ header: { typ: 'JWT' } }), /typ must be dpop\+jwt, not "JWT"/],
    ['typ at+jwt (an access token)', () => proof({ header: { typ: 'at+jwt' } }), /typ must be dpop\+jwt/],
    ['alg none', () => proof({ alg: 'none', signature: Buffer.alloc(0) }), /alg "none" is not accepted/],
    ['alg HS256', () => proof({ alg: 'HS256', signature: Buffer.alloc(32) }), /alg "HS256" is not accepted/],
    ['a jwk that is not an object', () => proof({ header: { jwk: 'key' } }), /jwk must be a JSON Web Key object/],
    ['a private EC key in jwk', () => proof({ header: { jwk: ec.privateKey.export({ format: 'jwk' }) } }), /private key material \('d'\)/],
    ['a private RSA key in jwk', () => proof({ alg: 'RS256', key: rsa.privateKey, header: { jwk: rsa.privateKey.export({ format: 'jwk' }) } }), /private key material \('d'\)/],
    ['a symmetric key in jwk', () => proof({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }), /private key material \('k'\)/],
    ['an EC key with an RSA alg', () => proof({ alg: 'RS256', key: rsa.privateKey, header: { jwk: publicJwk(ec.privateKey) } }), /not a key for RS256/],
    ['a P-384 key', () => proof({ header: { jwk: publicJwk(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey) } }), /not a key for ES256/],
    ['a jwk for another alg', () => proof({ header: { jwk: { ...publicJwk(ec.privateKey), alg: 'ES384' } } }), /not a key for ES256/],
    ['a jwk without y', () => proof({ header: { jwk: { ...publicJwk(ec.privateKey), y: undefined } } }), /lacks a member/],
    ['a jwk off the curve', () => proof({ header: { jwk: { ...publicJwk(ec.privateKey), y: publicJwk(ec.privateKey).x } } }), /not a valid public key/],
    ['an RSA key of 1024 bits', () => proof({ alg: 'RS256', key: smallRsa.privateKey }), /RSA key of 2048 to 4096 bits/],
    // Both make one signature check cost milliseconds on the request thread (a client's denial of service).
    ['an RSA key of 8200 bits', () => proof({ alg: 'RS256', key: rsa.privateKey, header: { jwk: { kty: 'RSA', e: 'AQAB', n: hugeModulus } } }), /RSA key of 2048 to 4096 bits/],
    ['an RSA public exponent of 33 bits', () => proof({ alg: 'RS256', key: rsa.privateKey, header: { jwk: { ...publicJwk(rsa.privateKey), e: Buffer.from([2, 0, 0, 0, 1]).toString('base64url') } } }), /public exponent over 32 bits/],
    ['a signature by another key', () => proof({ header: { jwk: publicJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) } }), /signature does not verify/],
    ['a forged signature', () => proof({ signature: Buffer.alloc(64, 7) }), /signature does not verify/],
    ['htm GET', () => proof({ claims: { htm: 'GET' } }), /htm must be POST/],
    ['htm post (methods are case-sensitive)', () => proof({ claims: { htm: 'post' } }), /htm must be POST/],
    ['htu of another host', () => proof({ claims: { htu: 'https://attacker.example/oauth2/token' } }), /htu must be the URI this request was sent to/],
    ['htu of another path', () => proof({ claims: { htu: 'https://auth.example.com/oauth2/revoke' } }), /htu must be the URI/],
    ['htu of another scheme', () => proof({ claims: { htu: 'http://auth.example.com/oauth2/token' } }), /htu must be the URI/],
    ['htu of another port', () => proof({ claims: { htu: 'https://auth.example.com:8443/oauth2/token' } }), /htu must be the URI/],
    ['htu that is no URI', () => proof({ claims: { htu: 'token' } }), /htu must be an absolute http or https URI/],
    ['iat a string', () => proof({ claims: { iat: String(NOW / 1000) } }), /iat must be a number/],
    ['iat 61 s back', () => proof({ claims: { iat: NOW / 1000 - 61 } }), /too old: its iat must be within the last 60 seconds/],
    ['iat 11 s ahead', () => proof({ claims: { iat: NOW / 1000 + 11 } }), /iat is in the future/],
    ['an empty jti', () => proof({ claims: { jti: '' } }), /jti must be a unique string/],
    ['a jti of 257 characters', () => proof({ claims: { jti: 'j'.repeat(257) } }), /jti must be a unique string/],
    ['a numeric nonce', () => proof({ claims: { nonce: 5 } }), /nonce must be a string/],
  ])('refuses %s', (_name, make, reason) => {
    expect(refusal(make())).toMatch(reason);
  });

  it('takes a proof from 60 s back and 10 s ahead, and remembers its jti for as long as it is acceptable', () => {
    expect(verifyDpopProof(proof({ claims: { iat: NOW / 1000 - 60 } }), EXPECTED, NOW).acceptableUntil).toBe(NOW);
    expect(verifyDpopProof(proof({ claims: { iat: NOW / 1000 + 10 } }), EXPECTED, NOW).acceptableUntil).toBe(NOW + 70_000);
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the RFC 7638 §3.1 example its thumbprint, whatever other members and their order', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(jwkThumbprint({ kid: 'x', e: 'AQAB', n, kty: 'RSA' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toBeNull();
  });
});

describe('DpopNonces (RFC 9449 §8)', () => {
  const secret = Buffer.alloc(32, 1);

  it('accepts its nonce for the minute it names and the next, on every instance with the same secret', () => {
    const nonce = new DpopNonces(secret).current(NOW);
    const otherReplica = new DpopNonces(Buffer.alloc(32, 1));
    expect(otherReplica.isFresh(nonce, NOW)).toBe(true);
    expect(otherReplica.isFresh(nonce, NOW + 60_000)).toBe(true);
    expect(otherReplica.isFresh(nonce, NOW + 120_000)).toBe(false);
    // A replica whose clock is a little behind.
    expect(otherReplica.isFresh(nonce, NOW - 1000)).toBe(true);
  });

  it('refuses a nonce of another secret, a forged one and an empty one', () => {
    const nonces = new DpopNonces(secret);
    expect(nonces.isFresh(new DpopNonces(Buffer.alloc(32, 2)).current(NOW), NOW)).toBe(false);
    expect(nonces.isFresh('A'.repeat(43), NOW)).toBe(false);
    expect(nonces.isFresh('', NOW)).toBe(false);
  });

  it('never hands out the secret it is derived from', () => {
    const nonce = new DpopNonces(secret).current(NOW);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(nonce, 'base64url').equals(secret)).toBe(false);
  });
});
