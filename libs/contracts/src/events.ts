/**
 * Events on the bus. Every event is one JSON message whose body is the payload
 * below plus `eventId` (UUID, also the JetStream `Nats-Msg-Id`) and `occurredAt`
 * (ISO 8601). Subjects carry their version; a breaking change gets a new subject.
 *
 * Each payload has one schema, in EVENT_SCHEMAS; the subject list and every
 * payload type are derived from it. The producer's codec checks a payload
 * against it before writing the event, the consumers check what they receive
 * (libs/messaging/src/event-codec.ts).
 *
 * Forward compatibility: a field a schema does not name is allowed (and not
 * read), so a producer may add one without its consumers refusing the event.
 * Removing or changing a field, or a new enum value, needs a new subject.
 */
import { z } from 'zod/v4';
import { boolean, isoTime, list, number, oneOf, string, text, textProblem, uuid } from './message-schema';

export const GRANT_TYPES = ['client_credentials', 'password', 'refresh_token'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export const KEY_TYPES = ['PRODUCTION', 'SANDBOX'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
/**
 * How a client may prove itself at the token, revocation and introspection endpoints (RFC 8414 names; the last two
 * are mutual TLS, RFC 8705 §2: a certificate a trusted CA issued for the key's subject DN, or one the key registered).
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
export const TOKEN_FORMATS = ['JWT', 'OAUTH'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];
/**
 * The last three (a user's password changed, a role taken away, the user deleted) came after the first release
 * without a new subject: docs/decisions.md, "Revocation reasons", says why.
 */
export const TOKEN_REVOCATION_REASONS = [
  'revoked_by_client',
  'refresh_token_reuse',
  'renewed',
  'secret_regenerated',
  'key_revoked',
  'application_deleted',
  'password_changed',
  'role_removed',
  'user_deleted',
] as const;
export type TokenRevocationReason = (typeof TOKEN_REVOCATION_REASONS)[number];

/**
 * The fields several messages share, with the limits analytics stores them under. The client record
 * (rpc.ts) uses them too: the token service writes its events from it.
 */
export const MESSAGE_FIELDS = {
  applicationId: text(100),
  consumerKey: text(255),
  username: text(255),
  keyType: oneOf(KEY_TYPES),
  grantType: oneOf(GRANT_TYPES),
  grantTypes: list(oneOf(GRANT_TYPES), `must be a list of ${GRANT_TYPES.join(', ')}`),
  tokenType: oneOf(TOKEN_FORMATS),
  strings: list(string('must be a list of strings'), 'must be a list of strings'),
};

/**
 * What a sender-constrained token is bound to (RFC 7800 `cnf`): the SHA-256 thumbprint of a DPoP key (RFC 9449
 * `jkt`) or of a client certificate (RFC 8705 `x5t#S256`), base64url. A bearer token has none.
 */
export const TokenConfirmationSchema = z.object(
  { jkt: text(64).optional(), 'x5t#S256': text(64).optional() },
  { error: 'must be an object {jkt?, "x5t#S256"?}' },
);
export type TokenConfirmation = z.infer<typeof TokenConfirmationSchema>;

export const TokenIssuedV1Schema = z
  .object({
    tokenId: string(),
    applicationId: MESSAGE_FIELDS.applicationId,
    consumerKey: MESSAGE_FIELDS.consumerKey,
    keyType: MESSAGE_FIELDS.keyType,
    grantType: MESSAGE_FIELDS.grantType,
    /** Only for user grants (password, refresh_token of a password token). */
    username: MESSAGE_FIELDS.username.optional(),
    scopes: MESSAGE_FIELDS.strings,
    tokenType: MESSAGE_FIELDS.tokenType,
    issuedAt: isoTime(),
    expiresAt: isoTime(),
    /** True when an existing active token was served again (WSO2 token reuse). */
    reused: boolean(),
    /** How the client authenticated for this token; absent in events of token services older than the field. */
    clientAuthMethod: oneOf(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
    /** The key the token is bound to; absent for a bearer token (and in every event from before binding). */
    cnf: TokenConfirmationSchema.optional(),
  })
  .check((context) => {
    // A password token always belongs to its user.
    if (context.value.grantType === 'password' && context.value.username === undefined) {
      context.issues.push({ code: 'custom', path: ['username'], message: textProblem(255), input: context.value });
    }
  });
export type TokenIssuedV1 = z.infer<typeof TokenIssuedV1Schema>;

export const TokenRevokedV1Schema = z.object({
  /** null: every token of `consumerKey` was revoked at once. */
  tokenId: string('must be a string or null').nullable(),
  applicationId: MESSAGE_FIELDS.applicationId,
  consumerKey: MESSAGE_FIELDS.consumerKey,
  reason: oneOf(TOKEN_REVOCATION_REASONS),
});
export type TokenRevokedV1 = z.infer<typeof TokenRevokedV1Schema>;

export const ApplicationV1Schema = z.object({
  applicationId: MESSAGE_FIELDS.applicationId,
  name: text(255),
  owner: MESSAGE_FIELDS.username,
  tokenType: MESSAGE_FIELDS.tokenType,
  throttlingPolicy: string(),
});
export type ApplicationV1 = z.infer<typeof ApplicationV1Schema>;

const lastKnown = string('must be a string of at most 255 characters').max(255, { error: 'must be a string of at most 255 characters' }).optional();

/** A deletion names the application; it may carry its last name and owner (an empty one counts as none). */
export const ApplicationDeletedV1Schema = z.object({
  applicationId: MESSAGE_FIELDS.applicationId,
  name: lastKnown,
  owner: lastKnown,
  tokenType: MESSAGE_FIELDS.tokenType.optional(),
  throttlingPolicy: string().optional(),
});
export type ApplicationDeletedV1 = z.infer<typeof ApplicationDeletedV1Schema>;

export const KeyRefV1Schema = z.object({
  applicationId: MESSAGE_FIELDS.applicationId,
  keyMappingId: string(),
  consumerKey: MESSAGE_FIELDS.consumerKey,
  keyType: MESSAGE_FIELDS.keyType,
});
/** A key as generated or updated: its reference and what it allows. */
export const KeysV1Schema = KeyRefV1Schema.extend({
  grantTypes: MESSAGE_FIELDS.grantTypes,
  scopes: MESSAGE_FIELDS.strings,
  validityTime: number(),
});
export type KeysV1 = z.infer<typeof KeysV1Schema>;
/** A consumer secret of a key added or revoked (never the secret or its hash). */
export const KeySecretV1Schema = KeyRefV1Schema.extend({ secretId: string() });
export type KeySecretV1 = z.infer<typeof KeySecretV1Schema>;
export type KeyRefV1 = z.infer<typeof KeyRefV1Schema>;

export const UserV1Schema = z.object({
  username: MESSAGE_FIELDS.username,
  roles: MESSAGE_FIELDS.strings,
});
export type UserV1 = z.infer<typeof UserV1Schema>;

/** A user's roles replaced: `roles` after, `previousRoles` before (a consumer tells a removal from an addition). */
export const UserRolesChangedV1Schema = UserV1Schema.extend({
  previousRoles: MESSAGE_FIELDS.strings,
});
export type UserRolesChangedV1 = z.infer<typeof UserRolesChangedV1Schema>;

/** subject -> payload schema: the one definition of each event. */
export const EVENT_SCHEMAS = {
  'tokens.issued.v1': TokenIssuedV1Schema,
  'tokens.revoked.v1': TokenRevokedV1Schema,
  'registry.application.created.v1': ApplicationV1Schema,
  'registry.application.updated.v1': ApplicationV1Schema,
  'registry.application.deleted.v1': ApplicationDeletedV1Schema,
  'registry.keys.generated.v1': KeysV1Schema,
  'registry.keys.updated.v1': KeysV1Schema,
  'registry.keys.secret-regenerated.v1': KeyRefV1Schema,
  'registry.keys.revoked.v1': KeyRefV1Schema,
  'registry.keys.secret-added.v1': KeySecretV1Schema,
  'registry.keys.secret-revoked.v1': KeySecretV1Schema,
  'registry.user.created.v1': UserV1Schema,
  /** The password changed (its only change until roles could change: those have a subject of their own). */
  'registry.user.updated.v1': UserV1Schema,
  'registry.user.roles-changed.v1': UserRolesChangedV1Schema,
  'registry.user.deleted.v1': UserV1Schema,
} as const;

export type EventSubject = keyof typeof EVENT_SCHEMAS;

/** subject -> payload: publishing a payload that does not match its subject does not compile. */
export type EventMap = { [S in EventSubject]: z.infer<(typeof EVENT_SCHEMAS)[S]> };

/** What every event carries besides its payload. */
export const EventMetaSchema = z.object({
  eventId: uuid('is missing or not a UUID'),
  occurredAt: isoTime(),
});
export type EventMeta = z.infer<typeof EventMetaSchema>;

/** The body of a message on the bus. */
export type EventMessage<S extends EventSubject = EventSubject> = EventMap[S] & EventMeta;

/** A message as a consumer sees it: subject and body together, so handlers can switch on the subject. */
export type ReceivedEvent = { [S in EventSubject]: { subject: S; event: EventMessage<S> } }[EventSubject];

export const EVENT_SUBJECTS = Object.keys(EVENT_SCHEMAS) as readonly EventSubject[];

export function isEventSubject(subject: string): subject is EventSubject {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, subject);
}
