import { createHash, X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { OAuth2Error } from '../oauth2/oauth2-error';

/** Where a request's client certificate may come from besides its own TLS connection. */
export interface ProxiedCertificates {
  /** The header a TLS-terminating proxy puts it in (MTLS_CLIENT_CERT_HEADER, lower case), or undefined. */
  header: string | undefined;
  /** Whether the TCP peer is a proxy TRUST_PROXY names (trustedProxyCheck). */
  isTrustedProxy: (peerAddress: string | undefined) => boolean;
}

/**
 * The certificate a request's client presented (RFC 8705), or undefined. From a proxy TRUST_PROXY names, and
 * with MTLS_CLIENT_CERT_HEADER set, the header is the client's certificate and nothing else is (no header: the
 * client had none; the TLS connection's certificate, if any, is the proxy's own). From anyone else the header is
 * ignored: whoever reaches the service directly could put any certificate in it, but cannot present one over
 * TLS without its private key.
 */
export function presentedCertificate(request: FastifyRequest, proxied: ProxiedCertificates): X509Certificate | undefined {
  const socket = request.raw.socket;
  if (proxied.header !== undefined && proxied.isTrustedProxy(socket.remoteAddress)) {
    return certificateFromHeader(proxied.header, request.headers[proxied.header]);
  }
  // requestCert without rejectUnauthorized (bootstrapService): whatever the client presented, unjudged yet.
  return socket instanceof TLSSocket ? socket.getPeerX509Certificate() : undefined;
}

/** URL-encoded PEM (nginx's $ssl_client_escaped_cert, most proxies), or base64 DER (HAProxy's ssl_c_der,base64). */
function certificateFromHeader(header: string, value: string | string[] | undefined): X509Certificate | undefined {
  if (Array.isArray(value)) throw OAuth2Error.invalidRequest(`The proxy sent the ${header} header more than once.`);
  if (value === undefined || value.trim() === '' || value === '(null)') return undefined;
  try {
    const text = value.trim();
    return /^[A-Za-z0-9+/=]+$/.test(text) ? new X509Certificate(Buffer.from(text, 'base64')) : new X509Certificate(decodeURIComponent(text));
  } catch {
    throw OAuth2Error.invalidRequest(`The proxy's ${header} header holds no readable certificate (URL-encoded PEM or base64 DER).`);
  }
}

/** RFC 8705 §3.1: base64url of the SHA-256 of the certificate's DER, a bound token's `cnf["x5t#S256"]`. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}
