import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a presented secret (or its hash) equals the expected one, compared in constant time so that the answer's
 * timing says nothing of where they differ. A length mismatch answers at once: every caller compares values whose
 * length is public (fixed-size hashes, a nonce's format, a configured token's length is no secret worth hiding).
 */
export function sameSecretBytes(presented: Uint8Array, expected: Uint8Array): boolean {
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
