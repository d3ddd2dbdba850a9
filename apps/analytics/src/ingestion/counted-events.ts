import { CountedClientAuthMethod, EventSubject, GrantType, KeyType, ReceivedEvent, TokenBinding, TokenConfirmation } from '@keymint/contracts';

/** A token handed out, reduced to what the statistics need. */
export interface Issuance {
  applicationId: string;
  keyType: KeyType;
  grantType: GrantType;
  clientAuthMethod: CountedClientAuthMethod;
  tokenBinding: TokenBinding;
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

export type CountedEvent =
  | { kind: 'issuance'; issuance: Issuance }
  | { kind: 'application'; change: ApplicationChange }
  | { kind: 'ignored' };

/** The subjects `countedOf` reduces to something counted; every other event is ignored (and not even read). */
export const COUNTED_SUBJECTS: ReadonlySet<EventSubject> = new Set<EventSubject>([
  'tokens.issued.v1',
  'registry.application.created.v1',
  'registry.application.updated.v1',
  'registry.application.deleted.v1',
]);

/**
 * Reduces an event to what analytics counts. The consumer hands over only
 * events that passed their schema (EVENT_SCHEMAS in @keymint/contracts: the
 * limits the statistics tables rely on, times with a zone, a password token's
 * user); one that did not was parked with the reason before it got here.
 */
export function countedOf(received: ReceivedEvent): CountedEvent {
  switch (received.subject) {
    case 'tokens.issued.v1': {
      const { event } = received;
      const issuance: Issuance = {
        applicationId: event.applicationId,
        keyType: event.keyType,
        grantType: event.grantType,
        clientAuthMethod: event.clientAuthMethod ?? 'unknown',
        tokenBinding: bindingOf(event.cnf),
        issuedAt: Date.parse(event.issuedAt),
        reused: event.reused,
      };
      // Client-credentials tokens belong to the application, never to a user (WSO2's rule).
      if (event.grantType !== 'client_credentials' && event.username !== undefined) issuance.username = event.username;
      return { kind: 'issuance', issuance };
    }
    case 'registry.application.created.v1':
    case 'registry.application.updated.v1':
    case 'registry.application.deleted.v1': {
      const { event } = received;
      return {
        kind: 'application',
        change: {
          applicationId: event.applicationId,
          // A delete may carry the last name; without it (or with an empty one) the name already known is kept.
          name: event.name || undefined,
          owner: event.owner || undefined,
          deleted: received.subject === 'registry.application.deleted.v1',
          occurredAt: Date.parse(event.occurredAt),
        },
      };
    }
    default:
      // Revocations, keys and users do not feed any statistic (yet).
      return { kind: 'ignored' };
  }
}

/** A token without `cnf` is a bearer token (every token from before binding was). */
function bindingOf(cnf: TokenConfirmation | undefined): TokenBinding {
  if (cnf?.jkt !== undefined) return 'dpop';
  if (cnf?.['x5t#S256'] !== undefined) return 'mtls';
  return 'bearer';
}
