import { TokenServiceConfig } from '@keymint/config';

/**
 * The lifetime a token gets from `validity_period` (docs/token-api.md,
 * "Lifetimes"), once its schema has checked it (http-schemas.ts): absent or
 * -1 → the key's validityTime (3600 s when it has none); else the seconds
 * asked for; either capped at MAX_TOKEN_VALIDITY.
 */
export function lifetimeSeconds(validityPeriod: string | undefined, keyValidity: number, maxValidity: number): number {
  const fallback = Math.min(keyValidity > 0 ? keyValidity : 3600, maxValidity);
  const seconds = validityPeriod === undefined ? -1 : Number(validityPeriod);
  return seconds === -1 ? fallback : Math.min(seconds, maxValidity);
}

type RefreshLifetimes = Pick<TokenServiceConfig, 'REFRESH_TOKEN_VALIDITY' | 'REFRESH_TOKEN_MAX_LIFETIME'>;

/** When a refresh-token family whose password grant was issued at `familyIssuedAt` ends (REFRESH_TOKEN_MAX_LIFETIME; 0: never). */
export function familyEnd(familyIssuedAt: number, config: Pick<RefreshLifetimes, 'REFRESH_TOKEN_MAX_LIFETIME'>): number {
  return config.REFRESH_TOKEN_MAX_LIFETIME === 0 ? Infinity : familyIssuedAt + config.REFRESH_TOKEN_MAX_LIFETIME * 1000;
}

/**
 * When a refresh token issued at `issuedAt` expires: REFRESH_TOKEN_VALIDITY later, but never after its
 * family ends, so rotating it never extends the family.
 */
export function refreshExpiry(issuedAt: number, familyIssuedAt: number, config: RefreshLifetimes): number {
  return Math.min(issuedAt + config.REFRESH_TOKEN_VALIDITY * 1000, familyEnd(familyIssuedAt, config));
}
