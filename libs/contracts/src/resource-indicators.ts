/**
 * RFC 8707 resource indicators: the one rule for what a resource is, shared by the registry (the
 * resources a key may ask for) and the token service (the `resource` parameter), so that a value the
 * registry accepted is one the token endpoint accepts and the other way round.
 */

/** How many resources a key may list (docs/registry.md). */
export const MAX_RESOURCES_PER_KEY = 20;
/** The longest resource, in characters. */
export const MAX_RESOURCE_LENGTH = 2000;

/**
 * RFC 3986 §4.3 absolute-URI: a scheme, a colon, then only URI characters (unreserved, reserved but '#',
 * and %-escapes). No fragment (RFC 8707 §2), no spaces (a token row keeps its resources space-joined).
 */
export const RESOURCE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

/**
 * What is wrong with `value` as a resource, as a sentence naming it (`name` is how the caller calls it),
 * or null when it is an absolute URI without a fragment of at most MAX_RESOURCE_LENGTH characters.
 * Resources are then compared as exact strings: no normalisation (docs/decisions.md).
 */
export function resourceProblem(value: string, name: string): string | null {
  const shown = printable(value.length > 100 ? `${value.slice(0, 100)}...` : value);
  if (value.length === 0) return `${name} must not be empty: give an absolute URI.`;
  if (value.length > MAX_RESOURCE_LENGTH) return `${name} '${shown}' is longer than ${MAX_RESOURCE_LENGTH} characters.`;
  if (value.includes('#')) return `${name} '${shown}' has a fragment (#...), which a resource must not have (RFC 8707 section 2).`;
  if (!RESOURCE_URI.test(value)) {
    return `${name} '${shown}' is not an absolute URI (RFC 3986 section 4.3: a scheme such as https: first, then URI characters only, %-encoded otherwise).`;
  }
  return null;
}

/** The value as an OAuth error_description may carry it (RFC 6749 §5.2: printable ASCII but '"' and '\\'). */
function printable(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
}
