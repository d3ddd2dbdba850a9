import { EventSubject, GRANT_TYPES, GrantType, KEY_TYPES, KeyType, ReceivedEvent } from '@keymint/contracts';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Raised for an event whose payload cannot be counted; the consumer parks it with this message. */
export class InvalidEventError extends Error {}

function text(body: Record<string, unknown>, field: string, maxLength: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidEventError(`${field} must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

function time(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  const parsed = typeof value === 'string' && ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(parsed)) throw new InvalidEventError(`${field} must be an ISO 8601 time with a zone`);
  return parsed;
}

function oneOf<T extends string>(body: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const value = body[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidEventError(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A token handed out, reduced to what the statistics need. */
export interface Issuance {
  applicationId: string;
  keyType: KeyType;
  grantType: GrantType;
  /** Only for user grants; never set for client_credentials. */
  username?: string;
  issuedAt: number;
  reused: boolean;
}

/** What the registry said about an application. */
export interface ApplicationChange {
  applicationId: string;
  name?: string;
  owner?: string;
  deleted: boolean;
  occurredAt: number;
}

export type ValidatedEvent =
  | { kind: 'issuance'; issuance: Issuance }
  | { kind: 'application'; change: ApplicationChange }
  | { kind: 'ignored' };

/** The subjects `validateEvent` reduces to something counted; every other event is ignored (and not even read). */
export const COUNTED_SUBJECTS: ReadonlySet<EventSubject> = new Set<EventSubject>([
  'tokens.issued.v1',
  'registry.application.created.v1',
  'registry.application.updated.v1',
  'registry.application.deleted.v1',
]);

/**
 * Checks the payload fields analytics relies on and reduces the event to
 * them. Throws InvalidEventError for anything that cannot be counted.
 */
export function validateEvent(received: ReceivedEvent): ValidatedEvent {
  const body = received.event as unknown as Record<string, unknown>;
  switch (received.subject) {
    case 'tokens.issued.v1': {
      const grantType = oneOf(body, 'grantType', GRANT_TYPES);
      const issuance: Issuance = {
        applicationId: text(body, 'applicationId', 100),
        keyType: oneOf(body, 'keyType', KEY_TYPES),
        grantType,
        issuedAt: time(body, 'issuedAt'),
        reused: (() => {
          if (typeof body.reused !== 'boolean') throw new InvalidEventError('reused must be a boolean');
          return body.reused;
        })(),
      };
      text(body, 'consumerKey', 255);
      // Client-credentials tokens belong to the application, never to a user (WSO2's rule).
      if (grantType === 'password') issuance.username = text(body, 'username', 255);
      if (grantType === 'refresh_token' && body.username !== undefined) issuance.username = text(body, 'username', 255);
      return { kind: 'issuance', issuance };
    }
    case 'registry.application.created.v1':
    case 'registry.application.updated.v1':
      return {
        kind: 'application',
        change: {
          applicationId: text(body, 'applicationId', 100),
          name: text(body, 'name', 255),
          owner: text(body, 'owner', 255),
          deleted: false,
          occurredAt: time(body, 'occurredAt'),
        },
      };
    case 'registry.application.deleted.v1':
      return {
        kind: 'application',
        change: {
          applicationId: text(body, 'applicationId', 100),
          // A delete may carry the last name; without it the name already known is kept.
          name: typeof body.name === 'string' && body.name.length > 0 ? text(body, 'name', 255) : undefined,
          owner: typeof body.owner === 'string' && body.owner.length > 0 ? text(body, 'owner', 255) : undefined,
          deleted: true,
          occurredAt: time(body, 'occurredAt'),
        },
      };
    default:
      // Revocations, keys and users do not feed any statistic (yet).
      return { kind: 'ignored' };
  }
}
