import proxyAddr from '@fastify/proxy-addr';
import type { CommonConfig } from '@keymint/config';

/**
 * Whether a TCP peer is one of the proxies TRUST_PROXY names: the very check Fastify applies before it takes
 * the client's address from X-Forwarded-For (the same library, compiled from the same list), so a header a proxy
 * adds is believed from exactly the peers whose X-Forwarded-For is. TRUST_PROXY off: no peer is.
 */
export function trustedProxyCheck(trustProxy: CommonConfig['TRUST_PROXY']): (peerAddress: string | undefined) => boolean {
  if (trustProxy === false) return () => false;
  const trusted = proxyAddr.compile(trustProxy);
  return (peerAddress) => peerAddress !== undefined && trusted(peerAddress, 0);
}
