import { createPrivateKey, KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';

/** A private key read from a PEM file, with the JWS algorithm its type signs with. */
export interface SigningKey {
  key: KeyObject;
  alg: 'RS256' | 'ES256' | 'EdDSA';
}

/** The key of `--private-key` or `--dpop-key` (named in the errors): RSA, EC P-256, Ed25519 or Ed448, PEM. */
export function readSigningKey(file: string, option = '--private-key'): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new UsageError(`${option} ${file}: not a readable PEM private key (${(error as Error).message})`);
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { key, alg: 'RS256' };
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256' };
  if (type === 'ed25519' || type === 'ed448') return { key, alg: 'EdDSA' };
  throw new UsageError(`${option} ${file}: a ${type} key cannot sign a JWT keymint accepts; use RSA, EC P-256, Ed25519 or Ed448`);
}

/** A compact JWS of `header` (its alg set from the key) and `payload`, signed with node:crypto alone. */
export function signJwt(signing: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const data = `${json({ alg: signing.alg, ...header })}.${json(payload)}`;
  const signature =
    signing.alg === 'EdDSA'
      ? sign(null, Buffer.from(data), signing.key)
      : // ES256 signatures in JWS are r||s (IEEE P1363), not DER.
        sign('sha256', Buffer.from(data), signing.alg === 'ES256' ? { key: signing.key, dsaEncoding: 'ieee-p1363' } : signing.key);
  return `${data}.${signature.toString('base64url')}`;
}
