import { X509Certificate } from 'node:crypto';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters, singleParameter } from '../oauth2/request-parameters';
import { assertionSubject, JWT_BEARER_ASSERTION_TYPE } from './client-assertion';

/**
 * A client's credentials as presented, before they are checked; `method` in RFC 8414's names (the keys'
 * `tokenEndpointAuthMethods`), except `mutual_tls`: a client certificate and `client_id` alone, which is
 * tls_client_auth or self_signed_tls_client_auth depending on what the key allows (decided once it is known).
 */
export type PresentedCredentials =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string }
  | { method: 'mutual_tls'; clientId: string; certificate: X509Certificate };

export type BasicParseResult =
  | { kind: 'absent' }
  | { kind: 'malformed' }
  | { kind: 'credentials'; username: string; password: string };

/**
 * `Authorization: Basic …` with RFC 6749 Appendix B: both halves are
 * form-urlencoded before base64 ('+' is a space, %XX escapes). The scheme is
 * case-insensitive (RFC 7235).
 */
export function parseBasicAuthorization(header: string | undefined): BasicParseResult {
  if (header === undefined || header === '') return { kind: 'absent' };
  const match = /^basic[ \t]+([A-Za-z0-9+/=._~-]+)[ \t]*$/i.exec(header);
  if (!match) return /^basic\b/i.test(header) ? { kind: 'malformed' } : { kind: 'absent' };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed' };
  const username = formDecode(decoded.slice(0, colon));
  const password = formDecode(decoded.slice(colon + 1));
  if (username === null || password === null || username === '') return { kind: 'malformed' };
  return { kind: 'credentials', username, password };
}

function formDecode(text: string): string | null {
  // Most keys and secrets have nothing to decode: no regular expression, no decoder, no copy for them.
  if (text.indexOf('%') === -1 && text.indexOf('+') === -1) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Which credentials a request presents: a Basic header, client_id +
 * client_secret in the body, or a signed client assertion (RFC 7523 §2.2) —
 * exactly one of them, never a mismatching client_id — or else client_id with
 * a client certificate (RFC 8705 §2); none at all is 401. With one of the
 * first three, a certificate only binds the tokens (RFC 8705 §3).
 */
export function presentedCredentials(authorization: string | undefined, parameters: OAuth2Parameters, certificate?: X509Certificate): PresentedCredentials {
  const basic = parseBasicAuthorization(authorization);
  const bodyId = singleParameter(parameters, 'client_id');
  const bodySecret = singleParameter(parameters, 'client_secret');
  const assertion = singleParameter(parameters, 'client_assertion');
  const assertionType = singleParameter(parameters, 'client_assertion_type');
  if (basic.kind === 'malformed') throw OAuth2Error.invalidClient('The Basic authorization header is malformed.');
  const methods = [basic.kind === 'credentials', bodySecret !== undefined, assertion !== undefined || assertionType !== undefined];
  if (methods.filter(Boolean).length > 1) throw OAuth2Error.invalidRequest('Use one client authentication method, not several.');
  if (basic.kind === 'credentials') {
    if (bodyId !== undefined && bodyId !== basic.username) {
      throw OAuth2Error.invalidRequest('client_id does not match the authenticated client.');
    }
    return { clientId: basic.username, clientSecret: basic.password, method: 'client_secret_basic' };
  }
  if (assertion !== undefined || assertionType !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION_TYPE) throw OAuth2Error.invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`);
    if (assertion === undefined || assertion === '') throw OAuth2Error.invalidRequest('client_assertion is missing.');
    const subject = assertionSubject(assertion);
    if (bodyId !== undefined && subject !== null && bodyId !== subject) {
      throw OAuth2Error.invalidRequest('client_id does not match the client the assertion names.');
    }
    const clientId = bodyId ?? subject;
    if (!clientId) throw OAuth2Error.invalidClient('client_assertion names no client (its sub) and no client_id is given.');
    return { clientId, assertion, method: 'private_key_jwt' };
  }
  if (bodyId !== undefined && bodySecret !== undefined && bodyId !== '') {
    return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' };
  }
  if (bodyId !== undefined && bodyId !== '') {
    if (certificate) return { clientId: bodyId, certificate, method: 'mutual_tls' };
    throw OAuth2Error.invalidClient('client_id alone authenticates only with a client certificate (mutual TLS), and the request presented none.');
  }
  throw OAuth2Error.invalidClient('Client authentication is required.');
}
