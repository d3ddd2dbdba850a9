import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/** What RFC 9449 §4.3 checks a token request's proof against, as this service received the request. */
export interface DpopRequest {
  /** The value of every DPoP header field (exactly one is allowed). */
  proofs: string[];
  method: string;
  /** The listener's: https on the HTTPS port, http on the plain one (never a forwarded header's word). */
  scheme: 'https' | 'http';
  /** The Host header, as the client sent it. */
  host: string | undefined;
  /** The request target's path, without its query. */
  path: string;
}

/** A request without a DPoP header (the generate-token RPC's, and unit tests'). */
export const NO_DPOP: DpopRequest = { proofs: [], method: 'POST', scheme: 'https', host: undefined, path: '/token' };

export function dpopRequestOf(request: FastifyRequest): DpopRequest {
  return {
    // Each field separately: Node would join repeated ones with commas into one string (headersDistinct, only
    // read when there is a DPoP header: it copies every header of the request).
    proofs: request.headers.dpop === undefined ? [] : (request.raw.headersDistinct.dpop ?? []),
    method: request.method,
    scheme: (request.raw.socket as TLSSocket).encrypted ? 'https' : 'http',
    host: request.headers.host,
    path: request.url.split('?')[0],
  };
}
