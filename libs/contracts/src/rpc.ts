/**
 * Request/reply over core NATS. Every call has a timeout; a failure crosses the
 * bus as `{code, message}` and surfaces on the caller as an `RpcError`.
 */
import { z } from 'zod/v4';
import { MESSAGE_FIELDS, TOKEN_ENDPOINT_AUTH_METHODS, TokenConfirmationSchema, TokenEndpointAuthMethod } from './events';
import { boolean, list, number, oneOf, string, text } from './message-schema';
import { MAX_DISTINGUISHED_NAME_LENGTH } from './x509';

/**
 * Each request and response has one schema, in RPC_SCHEMAS; the types below are derived from it.
 * The answering service's transport refuses a request that fails its schema with
 * `invalid_request` before any handler runs (libs/messaging/src/rpc-server.ts); the caller's
 * RpcClient checks the response. As with events, a field a schema does not name is allowed.
 */
const REQUEST_PROBLEM = 'the request must be an object';
const { strings } = MESSAGE_FIELDS;

const ScopeDefinitionSchema = z.object(
  {
    name: string(),
    /** Roles that may receive this scope in user grants (WSO2 "bindings"). */
    bindings: strings,
  },
  { error: 'must be a list of {name, bindings}' },
);
export type ScopeDefinition = z.infer<typeof ScopeDefinitionSchema>;

/** What every key allows unless told otherwise (every key before private_key_jwt existed allowed these). */
export const DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS: TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** A client's public keys (RFC 7517 JWK Set), as the registry accepted them (public members only). */
export const ClientJwksSchema = z.object(
  { keys: z.array(z.looseObject({ kty: string(), kid: string().optional(), alg: string().optional(), use: string().optional() })) },
  { error: 'must be a JWK Set {"keys": [...]}' },
);
export type ClientJwks = z.infer<typeof ClientJwksSchema>;

/** How many unrevoked consumer secrets (active or expired) a key may have (docs/registry.md). */
export const MAX_SECRETS_PER_KEY = 5;

const HEX_SHA256 = string('must be 64 hexadecimal digits').regex(/^[0-9a-f]{64}$/i, { error: 'must be 64 hexadecimal digits' });

/** One consumer secret of a key as the token service checks it. */
const ConsumerSecretRefSchema = z.object(
  {
    secretId: string(),
    /** Hex SHA-256 of the secret. */
    hash: HEX_SHA256,
    /** Epoch milliseconds after which the secret no longer authenticates; null: never expires. */
    expiresAt: number().nullable(),
  },
  { error: 'must be a list of {secretId, hash, expiresAt}' },
);
export type ConsumerSecretRef = z.infer<typeof ConsumerSecretRefSchema>;

/** What the token service needs to know about a consumer key. */
export const ClientRecordSchema = z.object({
  consumerKey: MESSAGE_FIELDS.consumerKey,
  /**
   * The key's unrevoked consumer secrets (at most MAX_SECRETS_PER_KEY), expired ones among them: an
   * expired secret is refused like a wrong one. Each is a hex SHA-256; the secret itself is never stored.
   */
  secrets: list(ConsumerSecretRefSchema, 'must be a list of {secretId, hash, expiresAt}').max(MAX_SECRETS_PER_KEY, {
    error: `must be a list of at most ${MAX_SECRETS_PER_KEY} secrets`,
  }),
  keyMappingId: string(),
  keyType: MESSAGE_FIELDS.keyType,
  keyState: oneOf(['ACTIVE', 'REVOKED']),
  grantTypes: MESSAGE_FIELDS.grantTypes,
  /** Scopes this key may be granted, with their role bindings. */
  scopes: list(ScopeDefinitionSchema, 'must be a list of {name, bindings}'),
  /** Default access token lifetime in seconds. */
  validityTime: number(),
  applicationId: MESSAGE_FIELDS.applicationId,
  applicationName: string(),
  owner: string(),
  tokenType: MESSAGE_FIELDS.tokenType,
  tokenEndpointAuthMethods: list(oneOf(TOKEN_ENDPOINT_AUTH_METHODS), `must be a list of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`),
  /**
   * The public keys its private_key_jwt assertions are signed with, and the certificates (or their keys) its
   * self_signed_tls_client_auth presents; null when it has none.
   */
  jwks: ClientJwksSchema.nullable(),
  /** The resources (RFC 8707 absolute URIs) its tokens may be asked for, as registered: a token's `aud`. */
  resources: MESSAGE_FIELDS.strings,
  /**
   * The subject DN (RFC 4514) of the certificates its tls_client_auth presents. Optional, so that a registry from
   * before mutual TLS still answers records the token service takes: absent is null.
   */
  tlsClientAuthSubjectDn: text(MAX_DISTINGUISHED_NAME_LENGTH).nullable().optional(),
  /** Every token request of this key must carry a DPoP proof (RFC 9449): its tokens are always bound to a key. */
  requireDpop: boolean(),
});
export type ClientRecord = z.infer<typeof ClientRecordSchema>;

// Up to 256 characters, as the registry has always looked keys up (one of 256 is simply unknown).
export const GetClientRequestSchema = z.object({ consumerKey: text(256) }, { error: REQUEST_PROBLEM });
export type GetClientRequest = z.infer<typeof GetClientRequestSchema>;
/** null when the consumer key is unknown. */
export const GetClientResponseSchema = ClientRecordSchema.nullable();
export type GetClientResponse = z.infer<typeof GetClientResponseSchema>;

/**
 * A user's sign-in, wherever it arrives (the password grant, an admin at introspection, Basic at analytics):
 * the registry keeps every user's failed sign-ins, per client address, so the caller passes the address
 * its client came from.
 */
export const AuthenticateUserRequestSchema = z.object({ username: text(), password: string(), clientAddress: text(100) }, { error: REQUEST_PROBLEM });
export type AuthenticateUserRequest = z.infer<typeof AuthenticateUserRequestSchema>;
export const AuthenticateUserResponseSchema = z.discriminatedUnion('authenticated', [
  z.object({ authenticated: z.literal(true), username: string(), roles: strings }),
  /** `retryAfterSeconds`: refused without a check, too many failures from that address (answer 429). */
  z.object({ authenticated: z.literal(false), retryAfterSeconds: number().optional() }),
]);
export type AuthenticateUserResponse = z.infer<typeof AuthenticateUserResponseSchema>;

export const IntrospectRequestSchema = z.object({ token: string() }, { error: REQUEST_PROBLEM });
export type IntrospectRequest = z.infer<typeof IntrospectRequestSchema>;
export const IntrospectResponseSchema = z.discriminatedUnion('active', [
  z.object({ active: z.literal(false) }),
  z.object({
    active: z.literal(true),
    scope: string(),
    client_id: string(),
    username: string().optional(),
    /** `DPoP` for a token bound to a DPoP key (RFC 9449 §6.2), else `Bearer`. */
    token_type: oneOf(['Bearer', 'DPoP']),
    exp: number(),
    iat: number(),
    nbf: number(),
    sub: string(),
    /** The consumer key, or the resource(s) the token was granted for (RFC 8707). */
    aud: z.union([string(), z.array(string())], { error: 'must be a string or a list of strings' }),
    iss: string(),
    jti: string(),
    cnf: TokenConfirmationSchema.optional(),
  }),
]);
export type IntrospectResponse = z.infer<typeof IntrospectResponseSchema>;

/**
 * The registry's generate-token: a client-credentials token for a key whose
 * secret the registry has already checked. The secret does not cross the bus
 * a second time: only the registry may publish this subject (bus-access.ts),
 * so the token service takes its word. (v1 carried the secret for the token
 * service to check again.)
 */
export const IssueTokenRequestSchema = z.object(
  {
    consumerKey: string('is required'),
    /** Seconds; absent or -1 means the key's validityTime. */
    validityPeriod: number('must be a number of seconds').optional(),
    scopes: strings.optional(),
  },
  { error: REQUEST_PROBLEM },
);
export type IssueTokenRequest = z.infer<typeof IssueTokenRequestSchema>;
export const IssueTokenResponseSchema = z.object({
  accessToken: string(),
  tokenScopes: strings,
  validityTime: number(),
});
export type IssueTokenResponse = z.infer<typeof IssueTokenResponseSchema>;

/**
 * lastUsedAt of consumer secrets without a write per token request: each token-service replica remembers which
 * secrets authenticated and reports them in one batch every SECRET_USE_REPORT_INTERVAL seconds, stamped with the
 * batch's time (so ~1-minute resolution, best effort: a lost batch is not sent again). One UPDATE per batch.
 */
export const MAX_SECRET_USES_PER_REPORT = 1000;
export const ReportSecretUseRequestSchema = z.object(
  {
    secretIds: list(text(64), 'must be a list of secret ids').max(MAX_SECRET_USES_PER_REPORT, { error: `must hold at most ${MAX_SECRET_USES_PER_REPORT} ids` }),
    /** Epoch milliseconds: when the batch was sent (the secrets were used in the interval before). */
    usedAt: number(),
  },
  { error: REQUEST_PROBLEM },
);
export type ReportSecretUseRequest = z.infer<typeof ReportSecretUseRequestSchema>;
/** How many secrets' lastUsedAt moved. */
export const ReportSecretUseResponseSchema = z.object({ updated: number() });
export type ReportSecretUseResponse = z.infer<typeof ReportSecretUseResponseSchema>;

/** subject -> the schemas of its request and its response: the one definition of each RPC. */
export const RPC_SCHEMAS = {
  'registry.rpc.client.get.v1': { request: GetClientRequestSchema, response: GetClientResponseSchema },
  'registry.rpc.user.authenticate.v1': { request: AuthenticateUserRequestSchema, response: AuthenticateUserResponseSchema },
  'tokens.rpc.introspect.v1': { request: IntrospectRequestSchema, response: IntrospectResponseSchema },
  'tokens.rpc.issue.v2': { request: IssueTokenRequestSchema, response: IssueTokenResponseSchema },
  'registry.rpc.secrets.used.v1': { request: ReportSecretUseRequestSchema, response: ReportSecretUseResponseSchema },
} as const;

export type RpcSubject = keyof typeof RPC_SCHEMAS;
export type RpcMap = {
  [S in RpcSubject]: { request: z.infer<(typeof RPC_SCHEMAS)[S]['request']>; response: z.infer<(typeof RPC_SCHEMAS)[S]['response']> };
};
export type RpcRequest<S extends RpcSubject> = RpcMap[S]['request'];
export type RpcResponse<S extends RpcSubject> = RpcMap[S]['response'];

export function isRpcSubject(subject: string): subject is RpcSubject {
  return Object.prototype.hasOwnProperty.call(RPC_SCHEMAS, subject);
}

export const RPC_SUBJECTS = {
  getClient: 'registry.rpc.client.get.v1',
  authenticateUser: 'registry.rpc.user.authenticate.v1',
  introspect: 'tokens.rpc.introspect.v1',
  issueToken: 'tokens.rpc.issue.v2',
  reportSecretUse: 'registry.rpc.secrets.used.v1',
} as const satisfies Record<string, RpcSubject>;

/**
 * Error codes that cross the bus. `timeout`/`unavailable` are raised by the caller's side. `busy`: the answering
 * service refused the request at once because too much of that work is in progress (the registry's password
 * checks); retry in a moment.
 */
export type RpcErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'not_found'
  | 'timeout'
  | 'unavailable'
  | 'busy'
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
