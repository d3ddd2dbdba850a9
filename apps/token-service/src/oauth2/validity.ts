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
