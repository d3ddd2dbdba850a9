import type { AuthenticateUserRequest, GetClientRequest } from '@keymint/contracts';

/** The request, or why it is malformed (the caller gets `invalid_request`). */
export function parseGetClientRequest(data: unknown): GetClientRequest | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the request must be an object';
  const { consumerKey } = data as Record<string, unknown>;
  if (typeof consumerKey !== 'string' || consumerKey.length === 0 || consumerKey.length > 256) {
    return 'consumerKey must be a non-empty string of at most 256 characters';
  }
  return { consumerKey };
}

export function parseAuthenticateUserRequest(data: unknown): AuthenticateUserRequest | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the request must be an object';
  const { username, password } = data as Record<string, unknown>;
  if (typeof username !== 'string' || username.length === 0) return 'username must be a non-empty string';
  if (typeof password !== 'string') return 'password must be a string';
  return { username, password };
}
