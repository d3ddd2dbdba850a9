import { HttpErrorWithHeaders, WWW_AUTHENTICATE } from '@keymint/http-kit';

export type OAuth2ErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'too_many_requests'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/**
 * RFC 6749 §5.2 errors as fixed templates (fosite style); the global oauth2
 * filter renders them as `{error, error_description}` with their headers.
 */
export class OAuth2Error extends HttpErrorWithHeaders {
  constructor(
    readonly code: OAuth2ErrorCode,
    readonly description: string,
    status: number,
    headers: Record<string, string> = {},
  ) {
    super({ error: code, error_description: description }, status, headers);
  }

  /** RFC 6749 §3.2 / RFC 7009 / RFC 7662 endpoints take POST only. */
  static methodNotAllowed(): OAuth2Error {
    return new OAuth2Error('invalid_request', 'This endpoint accepts POST only.', 405, { Allow: 'POST' });
  }

  static invalidRequest(description = 'The request is missing a required parameter or is otherwise malformed.'): OAuth2Error {
    return new OAuth2Error('invalid_request', description, 400);
  }

  static invalidClient(description = 'Client authentication failed.'): OAuth2Error {
    return new OAuth2Error('invalid_client', description, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
  }

  /** One message for every bad user credential or refresh token: no enumeration. */
  static invalidGrant(description = 'The provided authorization grant is invalid, expired or revoked.'): OAuth2Error {
    return new OAuth2Error('invalid_grant', description, 400);
  }

  static unauthorizedClient(description = 'The client is not allowed to use this grant type.'): OAuth2Error {
    return new OAuth2Error('unauthorized_client', description, 400);
  }

  static unsupportedGrantType(description = 'The grant type is not supported.'): OAuth2Error {
    return new OAuth2Error('unsupported_grant_type', description, 400);
  }

  static invalidScope(description = 'The requested scope is malformed.'): OAuth2Error {
    return new OAuth2Error('invalid_scope', description, 400);
  }

  /** RFC 8707 §2: a resource that is malformed, or that the client may not ask for. */
  static invalidTarget(description: string): OAuth2Error {
    return new OAuth2Error('invalid_target', description, 400);
  }

  /** RFC 9449 §5: the DPoP proof is missing where required, malformed, or does not fit this request. */
  static invalidDpopProof(description: string): OAuth2Error {
    return new OAuth2Error('invalid_dpop_proof', description, 400);
  }

  /** RFC 9449 §8: the proof must carry the server's nonce, which `DPoP-Nonce` gives. */
  static useDpopNonce(nonce: string, description = 'The authorization server requires a nonce in the DPoP proof: sign a new proof with the DPoP-Nonce given.'): OAuth2Error {
    return new OAuth2Error('use_dpop_nonce', description, 400, { 'DPoP-Nonce': nonce });
  }

  static temporarilyUnavailable(description = 'A service keymint depends on is unavailable; try again later.'): OAuth2Error {
    return new OAuth2Error('temporarily_unavailable', description, 503, { 'Retry-After': '5' });
  }

  static tooManyRequests(retryAfterSeconds: number): OAuth2Error {
    return new OAuth2Error('too_many_requests', 'Too many failed authentication attempts; try again later.', 429, {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}
