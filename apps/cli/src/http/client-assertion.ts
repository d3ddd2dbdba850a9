import { randomUUID } from 'node:crypto';
import { SigningKey, signJwt } from './jws-signing';

/** How long an assertion the CLI signs is valid: one request's worth (the server takes at most 300 s). */
const ASSERTION_LIFETIME_SECONDS = 60;

/** RFC 7523 §3: iss = sub = the consumer key, aud the server's issuer, a minute of validity, a fresh jti. */
export function signClientAssertion(consumerKey: string, signing: SigningKey, audience: string, kid?: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(signing, { typ: 'JWT', ...(kid ? { kid } : {}) }, {
    iss: consumerKey,
    sub: consumerKey,
    aud: audience,
    iat: now,
    exp: now + ASSERTION_LIFETIME_SECONDS,
    jti: randomUUID(),
  });
}
