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
export const TOKEN_FORMATS = ['JWT', 'OAUTH'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];
export const TOKEN_REVOCATION_REASONS = [
  'revoked_by_client',
  'refresh_token_reuse',
  'renewed',
  'secret_regenerated',
  'key_revoked',
  'application_deleted',
] as const;
export type TokenRevocationReason = (typeof TOKEN_REVOCATION_REASONS)[number];

/** The fields shared by several events, with the limits analytics stores them under. */
const FIELDS = {
  applicationId: text(100),
  consumerKey: text(255),
  username: text(255),
  keyType: oneOf(KEY_TYPES),
  grantType: oneOf(GRANT_TYPES),
  tokenType: oneOf(TOKEN_FORMATS),
  strings: list(string('must be a list of strings'), 'must be a list of strings'),
};

export const TokenIssuedV1Schema = z
  .object({
    tokenId: string(),
    applicationId: FIELDS.applicationId,
    consumerKey: FIELDS.consumerKey,
    keyType: FIELDS.keyType,
    grantType: FIELDS.grantType,
    /** Only for user grants (password, refresh_token of a password token). */
    username: FIELDS.username.optional(),
    scopes: FIELDS.strings,
    tokenType: FIELDS.tokenType,
    issuedAt: isoTime(),
    expiresAt: isoTime(),
    /** True when an existing active token was served again (WSO2 token reuse). */
    reused: boolean(),
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
  applicationId: FIELDS.applicationId,
  consumerKey: FIELDS.consumerKey,
  reason: oneOf(TOKEN_REVOCATION_REASONS),
});
export type TokenRevokedV1 = z.infer<typeof TokenRevokedV1Schema>;

export const ApplicationV1Schema = z.object({
  applicationId: FIELDS.applicationId,
  name: text(255),
  owner: FIELDS.username,
  tokenType: FIELDS.tokenType,
  throttlingPolicy: string(),
});
export type ApplicationV1 = z.infer<typeof ApplicationV1Schema>;

/** A deletion names the application; it may carry its last name and owner (an empty one counts as none). */
export const ApplicationDeletedV1Schema = z.object({
  applicationId: FIELDS.applicationId,
  name: string('must be a string of at most 255 characters').max(255, { error: 'must be a string of at most 255 characters' }).optional(),
  owner: string('must be a string of at most 255 characters').max(255, { error: 'must be a string of at most 255 characters' }).optional(),
  tokenType: FIELDS.tokenType.optional(),
  throttlingPolicy: string().optional(),
});
export type ApplicationDeletedV1 = z.infer<typeof ApplicationDeletedV1Schema>;

export const KeysV1Schema = z.object({
  applicationId: FIELDS.applicationId,
  keyMappingId: string(),
  consumerKey: FIELDS.consumerKey,
  keyType: FIELDS.keyType,
  grantTypes: list(FIELDS.grantType, `must be a list of ${GRANT_TYPES.join(', ')}`),
  scopes: FIELDS.strings,
  validityTime: number(),
});
export type KeysV1 = z.infer<typeof KeysV1Schema>;

export const KeyRefV1Schema = z.object({
  applicationId: FIELDS.applicationId,
  keyMappingId: string(),
  consumerKey: FIELDS.consumerKey,
  keyType: FIELDS.keyType,
});
export type KeyRefV1 = z.infer<typeof KeyRefV1Schema>;

export const UserV1Schema = z.object({
  username: FIELDS.username,
  roles: FIELDS.strings,
});
export type UserV1 = z.infer<typeof UserV1Schema>;

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
  'registry.user.created.v1': UserV1Schema,
  'registry.user.updated.v1': UserV1Schema,
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
