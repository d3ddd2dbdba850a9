/**
 * Sent on every response of the token service, errors and 404s included (docs/token-api.md), besides the
 * `Cache-Control: no-store`, `Pragma: no-cache` and HTTPS HSTS that every keymint service sends.
 */
export const TOKEN_SERVICE_RESPONSE_HEADERS: Record<string, string> = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'X-XSS-Protection': '1; mode=block',
};
