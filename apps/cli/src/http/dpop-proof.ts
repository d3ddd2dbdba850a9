import { createPublicKey, randomUUID } from 'node:crypto';
import { SigningKey, signJwt } from './jws-signing';

/**
 * RFC 9449 §4.2: a DPoP proof for one request: `typ` dpop+jwt, the public key in `jwk`, the request's
 * method and URI (without query and fragment), now, a fresh jti, and the server's nonce when it gave one.
 */
export function signDpopProof(signing: SigningKey, request: { method: string; url: string }, nonce?: string): string {
  const url = new URL(request.url);
  const jwk = createPublicKey(signing.key).export({ format: 'jwk' });
  return signJwt(signing, { typ: 'dpop+jwt', jwk }, {
    jti: randomUUID(),
    htm: request.method,
    htu: `${url.origin}${url.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    ...(nonce !== undefined ? { nonce } : {}),
  });
}
