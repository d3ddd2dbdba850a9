import { randomUUID } from 'node:crypto';
import { EventMap, EventMessage, EventSubject } from '@keymint/contracts';

/**
 * One payload per subject, in the shape its producer builds it (the registry's
 * applicationEvent/keysEvent/keyRefEvent/userEvent/rolesChangedEvent, the token service's
 * token issuer and revocations), for tests that need valid events.
 */
export const SAMPLE_PAYLOADS: EventMap = {
  'tokens.issued.v1': {
    tokenId: '01934f4e-9a3b-7c2d-8e1f-0a1b2c3d4e5f',
    applicationId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11',
    consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs',
    keyType: 'PRODUCTION',
    grantType: 'client_credentials',
    scopes: ['default'],
    tokenType: 'JWT',
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T01:00:00.000Z',
    reused: false,
  },
  'tokens.revoked.v1': {
    tokenId: '01934f4e-9a3b-7c2d-8e1f-0a1b2c3d4e5f',
    applicationId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11',
    consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs',
    reason: 'revoked_by_client',
  },
  'registry.application.created.v1': application(),
  'registry.application.updated.v1': application(),
  'registry.application.deleted.v1': application(),
  'registry.keys.generated.v1': keys(),
  'registry.keys.updated.v1': keys(),
  'registry.keys.secret-regenerated.v1': keyRef(),
  'registry.keys.revoked.v1': keyRef(),
  'registry.keys.secret-added.v1': { ...keyRef(), secretId: '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f' },
  'registry.keys.secret-revoked.v1': { ...keyRef(), secretId: '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f' },
  'registry.user.created.v1': { username: 'alice', roles: ['subscriber'] },
  'registry.user.updated.v1': { username: 'alice', roles: ['subscriber'] },
  'registry.user.roles-changed.v1': { username: 'alice', roles: ['subscriber'], previousRoles: ['admin', 'subscriber'] },
  'registry.user.deleted.v1': { username: 'alice', roles: ['subscriber'] },
};

function application() {
  return { applicationId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11', name: 'Shop', owner: 'alice', tokenType: 'JWT' as const, throttlingPolicy: 'Unlimited' };
}

function keyRef() {
  return {
    applicationId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11',
    keyMappingId: '5b0a3c1e-2d4f-4a6b-8c9d-0e1f2a3b4c5d',
    consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs',
    keyType: 'PRODUCTION' as const,
  };
}

function keys() {
  return { ...keyRef(), grantTypes: ['client_credentials' as const, 'password' as const], scopes: ['orders:read'], validityTime: 3600 };
}

/** A whole event (payload and meta) of `subject`, with `overrides` on top; each call has an eventId of its own. */
export function sampleEvent<S extends EventSubject>(subject: S, overrides: Record<string, unknown> = {}): EventMessage<S> {
  return { ...SAMPLE_PAYLOADS[subject], eventId: randomUUID(), occurredAt: '2026-01-01T00:00:00.000Z', ...overrides } as EventMessage<S>;
}
