import { constants, createHash, createPublicKey, KeyObject, randomUUID, sign } from 'node:crypto';

/** What a test changes in a DPoP proof: the alg, the header's members, the claims, or the signature itself. */
export interface DpopProofOptions {
  htu: string;
  htm?: string;
  alg?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  signature?: Buffer;
  /** Seconds since the epoch; default now. */
  iat?: number;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A DPoP proof (RFC 9449 §4.2) as a client builds it with node:crypto alone, the way docs/token-api.md shows,
 * with whatever an attack test changes. A member or claim set to undefined is left out.
 */
export function dpopProof(privateKey: KeyObject, options: DpopProofOptions): string {
  const alg = options.alg ?? algorithmOf(privateKey);
  const header = { typ: 'dpop+jwt', alg, jwk: publicJwk(privateKey), ...options.header };
  const payload = { jti: randomUUID(), htm: options.htm ?? 'POST', htu: options.htu, iat: options.iat ?? Math.floor(Date.now() / 1000), ...options.claims };
  const data = Buffer.from(`${b64(header)}.${b64(payload)}`);
  return `${data.toString()}.${(options.signature ?? signature(alg, privateKey, data)).toString('base64url')}`;
}

/** The public JWK of a private key (what a proof's header carries). */
export function publicJwk(key: KeyObject): Record<string, unknown> {
  return createPublicKey(key).export({ format: 'jwk' }) as Record<string, unknown>;
}

/** RFC 7638 SHA-256 thumbprint, written out again here so that the tests check the server's against their own. */
export function thumbprint(key: KeyObject): string {
  const jwk = publicJwk(key);
  const required = jwk.kty === 'RSA' ? { e: jwk.e, kty: 'RSA', n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: 'OKP', x: jwk.x };
  return createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}

function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  return 'EdDSA';
}

function signature(alg: string, key: KeyObject, data: Buffer): Buffer {
  if (alg === 'EdDSA') return sign(null, data, key);
  if (alg === 'PS256') return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  if (alg === 'RS256') return sign('sha256', data, key);
  // ES256 and anything a test claims: r||s (IEEE P1363), as JWS wants it.
  return sign('sha256', data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key);
}
