import { hash } from 'node:crypto';
import { sameSecretBytes } from './constant-time';

/**
 * How a consumer secret is stored (`secrets[].hash` of a ClientRecord): hex
 * SHA-256. The registry writes it and the token service checks against it, so
 * both use these two functions. A secret is 256 random bits: a fast hash is
 * enough (there is no dictionary to guess from).
 */
export function hashConsumerSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Constant-time comparison of a presented secret with the stored hex SHA-256. */
export function consumerSecretMatches(secret: string, storedHash: string): boolean {
  return sameSecretBytes(hash('sha256', secret, 'buffer'), Buffer.from(storedHash, 'hex'));
}

/**
 * The unexpired secret of `secrets` that `presented` is, or null. Every secret is compared, each in
 * constant time, and expiry is looked at only after: the time taken does not tell which one matched
 * or whether it had expired (an expired secret is refused like a wrong one).
 */
export function matchingSecret<T extends { hash: string; expiresAt: number | null }>(presented: string, secrets: readonly T[], now: number): T | null {
  // Hashed once, compared with each (a key has up to five secrets while one is rotated).
  const presentedHash = hash('sha256', presented, 'buffer');
  let matched: T | null = null;
  for (const secret of secrets) if (sameSecretBytes(presentedHash, Buffer.from(secret.hash, 'hex'))) matched = secret;
  return matched && (matched.expiresAt === null || matched.expiresAt > now) ? matched : null;
}
