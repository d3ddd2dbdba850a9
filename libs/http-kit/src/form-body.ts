/**
 * application/x-www-form-urlencoded into an object. A repeated parameter
 * becomes an array, so endpoints can reject it (RFC 6749 §3.2: parameters
 * must not be included more than once).
 */
export function parseFormBody(body: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(body)) {
    const existing = result[name];
    if (existing === undefined) result[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[name] = [existing, value];
  }
  return result;
}
