import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 160 random bits, URL-safe: usable as `client_id` in a form body or Basic header without encoding. */
export function newConsumerKey(): string {
  return randomBytes(20).toString('base64url');
}

/** 256 random bits: a fast hash is enough to store it (no dictionary to guess from). */
export function newConsumerSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashConsumerSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hex SHA-256. */
export function consumerSecretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
