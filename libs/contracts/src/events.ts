/**
 * Events on the bus. Every event is one JSON message whose body is the payload
 * below plus `eventId` (UUID, also the JetStream `Nats-Msg-Id`) and `occurredAt`
 * (ISO 8601). Subjects carry their version; a breaking change gets a new subject.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An RFC 9562 UUID in its usual text form (event ids, token ids, application ids), any case. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const GRANT_TYPES = ['client_credentials', 'password', 'refresh_token'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export const KEY_TYPES = ['PRODUCTION', 'SANDBOX'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export type TokenFormat = 'JWT' | 'OAUTH';

export interface TokenIssuedV1 {
  tokenId: string;
  applicationId: string;
  consumerKey: string;
  keyType: KeyType;
  grantType: GrantType;
  /** Only for user grants (password, refresh_token of a password token). */
  username?: string;
  scopes: string[];
  tokenType: TokenFormat;
  issuedAt: string;
  expiresAt: string;
  /** True when an existing active token was served again (WSO2 token reuse). */
  reused: boolean;
}

export type TokenRevocationReason =
  | 'revoked_by_client'
  | 'refresh_token_reuse'
  | 'renewed'
  | 'secret_regenerated'
  | 'key_revoked'
  | 'application_deleted';

export interface TokenRevokedV1 {
  /** null: every token of `consumerKey` was revoked at once. */
  tokenId: string | null;
  applicationId: string;
  consumerKey: string;
  reason: TokenRevocationReason;
}

export interface ApplicationV1 {
  applicationId: string;
  name: string;
  owner: string;
  tokenType: TokenFormat;
  throttlingPolicy: string;
}

export interface KeysV1 {
  applicationId: string;
  keyMappingId: string;
  consumerKey: string;
  keyType: KeyType;
  grantTypes: GrantType[];
  scopes: string[];
  validityTime: number;
}

export interface KeyRefV1 {
  applicationId: string;
  keyMappingId: string;
  consumerKey: string;
  keyType: KeyType;
}

export interface UserV1 {
  username: string;
  roles: string[];
}

/** subject -> payload: publishing a payload that does not match its subject does not compile. */
export interface EventMap {
  'tokens.issued.v1': TokenIssuedV1;
  'tokens.revoked.v1': TokenRevokedV1;
  'registry.application.created.v1': ApplicationV1;
  'registry.application.updated.v1': ApplicationV1;
  'registry.application.deleted.v1': ApplicationV1;
  'registry.keys.generated.v1': KeysV1;
  'registry.keys.updated.v1': KeysV1;
  'registry.keys.secret-regenerated.v1': KeyRefV1;
  'registry.keys.revoked.v1': KeyRefV1;
  'registry.user.created.v1': UserV1;
  'registry.user.updated.v1': UserV1;
  'registry.user.deleted.v1': UserV1;
}

export type EventSubject = keyof EventMap;

export interface EventMeta {
  eventId: string;
  occurredAt: string;
}

/** The body of a message on the bus. */
export type EventMessage<S extends EventSubject = EventSubject> = EventMap[S] & EventMeta;

/** A message as a consumer sees it: subject and body together, so handlers can switch on the subject. */
export type ReceivedEvent = { [S in EventSubject]: { subject: S; event: EventMessage<S> } }[EventSubject];

export const EVENT_SUBJECTS: readonly EventSubject[] = [
  'tokens.issued.v1',
  'tokens.revoked.v1',
  'registry.application.created.v1',
  'registry.application.updated.v1',
  'registry.application.deleted.v1',
  'registry.keys.generated.v1',
  'registry.keys.updated.v1',
  'registry.keys.secret-regenerated.v1',
  'registry.keys.revoked.v1',
  'registry.user.created.v1',
  'registry.user.updated.v1',
  'registry.user.deleted.v1',
];

export function isEventSubject(subject: string): subject is EventSubject {
  return (EVENT_SUBJECTS as readonly string[]).includes(subject);
}
