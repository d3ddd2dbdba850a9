import { createHash, randomBytes } from 'node:crypto';

/** What is stored instead of a token (DESIGN §3.5). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 256 random bits, base64url: opaque access tokens and every refresh token. */
export function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}
