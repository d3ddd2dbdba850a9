import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters } from '../oauth2/request-parameters';

/** A client's credentials as presented, before they are checked. */
export interface PresentedCredentials {
  clientId: string;
  clientSecret: string;
  method: 'basic' | 'post';
}

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
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Which credentials a request presents: a Basic header or client_id +
 * client_secret in the body, never both, never a mismatching client_id; none
 * at all is 401.
 */
export function presentedCredentials(authorization: string | undefined, parameters: OAuth2Parameters): PresentedCredentials {
  const basic = parseBasicAuthorization(authorization);
  const bodyId = parameters.client_id;
  const bodySecret = parameters.client_secret;
  if (basic.kind === 'malformed') throw OAuth2Error.invalidClient('The Basic authorization header is malformed.');
  if (basic.kind === 'credentials') {
    if (bodySecret !== undefined) throw OAuth2Error.invalidRequest('Use one client authentication method, not both.');
    if (bodyId !== undefined && bodyId !== basic.username) {
      throw OAuth2Error.invalidRequest('client_id does not match the authenticated client.');
    }
    return { clientId: basic.username, clientSecret: basic.password, method: 'basic' };
  }
  if (bodyId !== undefined && bodySecret !== undefined && bodyId !== '') {
    return { clientId: bodyId, clientSecret: bodySecret, method: 'post' };
  }
  throw OAuth2Error.invalidClient('Client authentication is required.');
}
