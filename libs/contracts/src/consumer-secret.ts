import { hash, timingSafeEqual } from 'node:crypto';

/**
 * How a consumer secret is stored (`consumerSecretHash` of a ClientRecord): hex
 * SHA-256. The registry writes it and the token service checks against it, so
 * both use these two functions. A secret is 256 random bits: a fast hash is
 * enough (there is no dictionary to guess from).
 */
export function hashConsumerSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Constant-time comparison of a presented secret with the stored hex SHA-256. */
export function consumerSecretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = hash('sha256', secret, 'buffer');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
