import { createPrivateKey, KeyObject, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';

/** How long an assertion the CLI signs is valid: one request's worth (the server takes at most 300 s). */
const ASSERTION_LIFETIME_SECONDS = 60;

/** A private key read from a PEM file, with the JWS algorithm its type signs with. */
export interface SigningKey {
  key: KeyObject;
  alg: 'RS256' | 'ES256' | 'EdDSA';
}

export function readSigningKey(file: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new UsageError(`--private-key ${file}: not a readable PEM private key (${(error as Error).message})`);
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { key, alg: 'RS256' };
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256' };
  if (type === 'ed25519' || type === 'ed448') return { key, alg: 'EdDSA' };
  throw new UsageError(`--private-key ${file}: a ${type} key cannot sign a client assertion; use RSA, EC P-256, Ed25519 or Ed448`);
}

/** RFC 7523 §3: iss = sub = the consumer key, aud the server's issuer, a minute of validity, a fresh jti. */
export function signClientAssertion(consumerKey: string, signing: SigningKey, audience: string, kid?: string): string {
  const now = Math.floor(Date.now() / 1000);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const data = `${json({ alg: signing.alg, typ: 'JWT', ...(kid ? { kid } : {}) })}.${json({
    iss: consumerKey,
    sub: consumerKey,
    aud: audience,
    iat: now,
    exp: now + ASSERTION_LIFETIME_SECONDS,
    jti: randomUUID(),
  })}`;
  const signature =
    signing.alg === 'EdDSA'
      ? sign(null, Buffer.from(data), signing.key)
      : sign('sha256', Buffer.from(data), signing.alg === 'ES256' ? { key: signing.key, dsaEncoding: 'ieee-p1363' } : signing.key);
  return `${data}.${signature.toString('base64url')}`;
}
