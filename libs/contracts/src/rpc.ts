/**
 * Request/reply over core NATS. Every call has a timeout; a failure crosses the
 * bus as `{code, message}` and surfaces on the caller as an `RpcError`.
 */
import type { GrantType, KeyType, TokenFormat } from './events';

export interface ScopeDefinition {
  name: string;
  /** Roles that may receive this scope in user grants (WSO2 "bindings"). */
  bindings: string[];
}

/** What the token service needs to know about a consumer key. */
export interface ClientRecord {
  consumerKey: string;
  /** Hex SHA-256 of the consumer secret; the secret itself is never stored. */
  consumerSecretHash: string;
  keyMappingId: string;
  keyType: KeyType;
  keyState: 'ACTIVE' | 'REVOKED';
  grantTypes: GrantType[];
  /** Scopes this key may be granted, with their role bindings. */
  scopes: ScopeDefinition[];
  /** Default access token lifetime in seconds. */
  validityTime: number;
  applicationId: string;
  applicationName: string;
  owner: string;
  tokenType: TokenFormat;
}

export interface GetClientRequest {
  consumerKey: string;
}
/** null when the consumer key is unknown. */
export type GetClientResponse = ClientRecord | null;

export interface AuthenticateUserRequest {
  username: string;
  password: string;
}
export type AuthenticateUserResponse =
  | { authenticated: true; username: string; roles: string[] }
  | { authenticated: false };

export interface IntrospectRequest {
  token: string;
}
export type IntrospectResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      username?: string;
      token_type: 'Bearer';
      exp: number;
      iat: number;
      nbf: number;
      sub: string;
      aud: string;
      iss: string;
      jti: string;
    };

/**
 * The registry's generate-token: a client-credentials token for a key whose
 * secret the registry has already checked. The secret does not cross the bus
 * a second time: only the registry may publish this subject (bus-access.ts),
 * so the token service takes its word. (v1 carried the secret for the token
 * service to check again.)
 */
export interface IssueTokenRequest {
  consumerKey: string;
  /** Seconds; absent or -1 means the key's validityTime. */
  validityPeriod?: number;
  scopes?: string[];
}
export interface IssueTokenResponse {
  accessToken: string;
  tokenScopes: string[];
  validityTime: number;
}

export interface RpcMap {
  'registry.rpc.client.get.v1': { request: GetClientRequest; response: GetClientResponse };
  'registry.rpc.user.authenticate.v1': { request: AuthenticateUserRequest; response: AuthenticateUserResponse };
  'tokens.rpc.introspect.v1': { request: IntrospectRequest; response: IntrospectResponse };
  'tokens.rpc.issue.v2': { request: IssueTokenRequest; response: IssueTokenResponse };
}

export type RpcSubject = keyof RpcMap;
export type RpcRequest<S extends RpcSubject> = RpcMap[S]['request'];
export type RpcResponse<S extends RpcSubject> = RpcMap[S]['response'];

export const RPC_SUBJECTS = {
  getClient: 'registry.rpc.client.get.v1',
  authenticateUser: 'registry.rpc.user.authenticate.v1',
  introspect: 'tokens.rpc.introspect.v1',
  issueToken: 'tokens.rpc.issue.v2',
} as const satisfies Record<string, RpcSubject>;

/** Error codes that cross the bus. `timeout`/`unavailable` are raised by the caller's side. */
export type RpcErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'not_found'
  | 'timeout'
  | 'unavailable'
  | 'internal';

export interface RpcErrorBody {
  code: RpcErrorCode;
  message: string;
}

/** A `{code, message}` error body (the code is not checked against RpcErrorCode: the caller maps unknown codes). */
export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RpcErrorBody).code === 'string' &&
    typeof (value as RpcErrorBody).message === 'string'
  );
}
