import { hash, randomFillSync } from 'node:crypto';
import { isUuid, sameSecretBytes } from '@keymint/contracts';

/** What is stored instead of a token: its SHA-256, never the token itself. */
export function tokenHash(token: string): string {
  // crypto.hash: one call, no Hash object (~0.4 µs here against ~1 µs for createHash().update().digest()).
  return hash('sha256', token, 'hex');
}

/** Whether two token hashes (tokenHash's hex) are equal, in constant time. */
export function sameTokenHash(presentedHash: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const presented = Buffer.from(presentedHash, 'hex');
  return stored.length === 32 && sameSecretBytes(presented, stored);
}

const ID_BYTES = 16;
const RANDOM_BYTES = 16;
// One CSPRNG call fills 256 tokens' worth (as node's randomUUID does): a
// randomBytes() per token cost ~2.8 µs here, a slice of the pool ~0.1 µs.
const randomPool = Buffer.alloc(RANDOM_BYTES * 256);
let poolOffset = randomPool.length;

/**
 * An opaque access or refresh token: the 16 bytes of its row id (a
 * time-ordered UUID) then 128 random bits, base64url (43 characters). The
 * store finds a presented token by the id it carries and then compares the
 * token's SHA-256 with the stored one, so no index over random hashes is
 * written: that index cost half of each group commit and grew with the store
 * (docs/decisions.md). The 128 random bits are the secret (RFC 6749 §10.10:
 * a guess succeeds with probability 2^-128 at most); the id is not secret
 * (events carry it as tokenId), though an outsider must guess its 74 random
 * bits too.
 */
export function opaqueToken(tokenId: string): string {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  const bytes = Buffer.allocUnsafe(ID_BYTES + RANDOM_BYTES);
  bytes.write(tokenId.replace(/-/g, ''), 0, ID_BYTES, 'hex');
  randomPool.copy(bytes, ID_BYTES, poolOffset, poolOffset + RANDOM_BYTES);
  // Only bytes of tokens not yet issued stay in the pool.
  randomPool.fill(0, poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  return bytes.toString('base64url');
}

const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The row id a presented token names: the id an opaque token starts with, or a
 * JWT's `jti`. Null when it names none (garbage, or an opaque token issued
 * before tokens carried their id: those are found by hash, TokenStore.find).
 * The id is only where to look: the caller still compares the token's hash.
 */
export function presentedTokenId(token: string): string | null {
  if (OPAQUE_TOKEN.test(token)) {
    const hex = Buffer.from(token, 'base64url').toString('hex', 0, ID_BYTES);
    // Version 7 and the RFC 9562 variant, as timeOrderedUuid makes them.
    if (hex[12] !== '7' || !'89ab'.includes(hex[16])) return null;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const { jti } = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof jti === 'string' && isUuid(jti) ? jti : null;
  } catch {
    return null;
  }
}
