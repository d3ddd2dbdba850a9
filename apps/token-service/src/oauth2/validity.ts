import { OAuth2Error } from './oauth2-error';

/**
 * `validity_period` (docs/token-api.md, "Lifetimes"): absent or -1 → the key's validityTime; a positive integer,
 * capped at MAX_TOKEN_VALIDITY; 0, other negatives and non-integers are errors.
 */
export function resolveValidityPeriod(value: string | undefined, keyValidity: number, maxValidity: number): number {
  const fallback = Math.min(keyValidity > 0 ? keyValidity : 3600, maxValidity);
  if (value === undefined || value.trim() === '-1') return fallback;
  const text = value.trim();
  if (!/^\d{1,15}$/.test(text)) {
    throw OAuth2Error.invalidRequest('validity_period must be a positive integer number of seconds, or -1.');
  }
  const seconds = Number(text);
  if (seconds <= 0) throw OAuth2Error.invalidRequest('validity_period must be a positive integer number of seconds, or -1.');
  return Math.min(seconds, maxValidity);
}
