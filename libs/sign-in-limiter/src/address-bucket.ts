import ipaddr from 'ipaddr.js';

/**
 * The part of a client address a sign-in budget is kept for. An IPv4 address
 * (also written IPv4-mapped, `::ffff:192.0.2.1`) counts alone; an IPv6 address
 * counts by its /64 prefix, because one subscriber usually holds a whole /64
 * and could otherwise take a fresh budget from each of its 2^64 addresses.
 * Anything unparsable is kept as given.
 */
export function addressBucket(address: string): string {
  // The common cases without parsing (this runs on every client authentication).
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice('::ffff:'.length);
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const ipv6 = parsed as ipaddr.IPv6;
  if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().toString();
  const prefix = new ipaddr.IPv6([...ipv6.parts.slice(0, 4), 0, 0, 0, 0]);
  return `${prefix.toString()}/64`;
}
