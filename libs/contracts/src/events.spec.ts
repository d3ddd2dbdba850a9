import { SAMPLE_PAYLOADS } from '../test/event-samples';
import { EVENT_SCHEMAS, EVENT_SUBJECTS, EventMetaSchema, EventSubject, isEventSubject, TOKEN_REVOCATION_REASONS } from './events';
import { problemOf } from './message-schema';

/** Why `schema` refuses `value`, as a parked event's reason says it; null when it accepts it. */
function refusal(subject: EventSubject, value: unknown): string | null {
  const checked = EVENT_SCHEMAS[subject].safeParse(value);
  return checked.success ? null : problemOf(checked.error);
}

const issued = (overrides: Record<string, unknown> = {}) => ({ ...SAMPLE_PAYLOADS['tokens.issued.v1'], ...overrides });

describe('event schemas', () => {
  it('derive the subject list: one schema per subject, nothing listed twice', () => {
    expect(EVENT_SUBJECTS).toEqual(Object.keys(EVENT_SCHEMAS));
    expect(Object.keys(SAMPLE_PAYLOADS).sort()).toEqual([...EVENT_SUBJECTS].sort());
    expect(isEventSubject('tokens.issued.v1')).toBe(true);
    expect(isEventSubject('tokens.issued.v2')).toBe(false);
    expect(isEventSubject('toString')).toBe(false);
  });

  it.each(EVENT_SUBJECTS)('accept what the producer of %s sends, and a field they do not know (forward compatibility)', (subject) => {
    expect(refusal(subject, SAMPLE_PAYLOADS[subject])).toBeNull();
    expect(refusal(subject, { ...SAMPLE_PAYLOADS[subject], addedLater: { any: ['thing'] } })).toBeNull();
  });

  it("accept every shape of the token service's events", () => {
    // token-issuer: a password token carries its user, a refresh token its user when the first one had one.
    expect(refusal('tokens.issued.v1', issued({ grantType: 'password', username: 'alice', reused: true }))).toBeNull();
    expect(refusal('tokens.issued.v1', issued({ grantType: 'refresh_token', username: 'alice' }))).toBeNull();
    expect(refusal('tokens.issued.v1', issued({ grantType: 'refresh_token', scopes: [], tokenType: 'OAUTH', keyType: 'SANDBOX' }))).toBeNull();
    // token-writer revokes token by token; token-store revokes every token of a key at once (tokenId null).
    for (const reason of TOKEN_REVOCATION_REASONS) {
      expect(refusal('tokens.revoked.v1', { ...SAMPLE_PAYLOADS['tokens.revoked.v1'], reason })).toBeNull();
      expect(refusal('tokens.revoked.v1', { ...SAMPLE_PAYLOADS['tokens.revoked.v1'], tokenId: null, reason })).toBeNull();
    }
  });

  it("accept every shape of the registry's events", () => {
    const { applicationId } = SAMPLE_PAYLOADS['registry.application.deleted.v1'];
    // A deletion from an older registry names only the application; an empty name counts as none.
    expect(refusal('registry.application.deleted.v1', { applicationId })).toBeNull();
    expect(refusal('registry.application.deleted.v1', { applicationId, name: '', owner: '' })).toBeNull();
    expect(refusal('registry.keys.updated.v1', { ...SAMPLE_PAYLOADS['registry.keys.updated.v1'], grantTypes: ['refresh_token'], scopes: [] })).toBeNull();
    expect(refusal('registry.user.deleted.v1', { username: 'admin', roles: [] })).toBeNull();
  });

  it.each([
    [{ grantType: 'implicit' }, 'grantType must be one of client_credentials, password, refresh_token'],
    [{ keyType: 'production' }, 'keyType must be one of PRODUCTION, SANDBOX'],
    [{ applicationId: '' }, 'applicationId must be a non-empty string of at most 100 characters'],
    [{ applicationId: 'x'.repeat(101) }, 'applicationId must be a non-empty string of at most 100 characters'],
    [{ applicationId: undefined }, 'applicationId must be a non-empty string of at most 100 characters'],
    [{ consumerKey: 7 }, 'consumerKey must be a non-empty string of at most 255 characters'],
    [{ consumerKey: 'k'.repeat(256) }, 'consumerKey must be a non-empty string of at most 255 characters'],
    [{ grantType: 'password' }, 'username must be a non-empty string of at most 255 characters'],
    [{ grantType: 'refresh_token', username: '' }, 'username must be a non-empty string of at most 255 characters'],
    [{ issuedAt: 'yesterday' }, 'issuedAt must be an ISO 8601 time with a zone'],
    [{ issuedAt: '2026-11-25T10:00:00' }, 'issuedAt must be an ISO 8601 time with a zone'],
    [{ expiresAt: 1767229200000 }, 'expiresAt must be an ISO 8601 time with a zone'],
    [{ reused: 'no' }, 'reused must be a boolean'],
    [{ scopes: 'default' }, 'scopes must be a list of strings'],
    [{ scopes: ['default', 7] }, 'scopes must be a list of strings'],
    [{ tokenType: 'opaque' }, 'tokenType must be one of JWT, OAUTH'],
  ])('refuse a token event with %p, naming the field', (overrides, problem) => {
    expect(refusal('tokens.issued.v1', issued(overrides))).toBe(problem);
  });

  it('refuse application events analytics could not store', () => {
    const created = SAMPLE_PAYLOADS['registry.application.created.v1'];
    expect(refusal('registry.application.created.v1', { ...created, name: undefined })).toBe('name must be a non-empty string of at most 255 characters');
    expect(refusal('registry.application.updated.v1', { ...created, owner: '' })).toBe('owner must be a non-empty string of at most 255 characters');
    expect(refusal('registry.application.deleted.v1', { applicationId: created.applicationId, name: 'n'.repeat(256) })).toBe('name must be a string of at most 255 characters');
    expect(refusal('registry.application.deleted.v1', { name: 'Shop' })).toBe('applicationId must be a non-empty string of at most 100 characters');
    expect(refusal('tokens.revoked.v1', { ...SAMPLE_PAYLOADS['tokens.revoked.v1'], reason: 'rotated' })).toMatch(/^reason must be one of /);
    expect(refusal('registry.user.created.v1', 'alice')).not.toBeNull();
  });

  it('read times as ISO 8601 with a zone, on real calendar days', () => {
    const at = (issuedAt: string) => refusal('tokens.issued.v1', issued({ issuedAt }));
    for (const time of ['2026-01-01T00:00Z', '2026-01-01T00:00:00+01:00', '2024-02-29T23:59:59.123456Z', '2026-06-30T12:00:00-05:30']) expect(at(time)).toBeNull();
    for (const time of ['2026-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+99:00', '2026-01-01', '2026-01-01 00:00:00Z', ' 2026-01-01T00:00:00Z']) {
      expect(at(time)).toBe('issuedAt must be an ISO 8601 time with a zone');
    }
  });

  it('check the meta of every event: a UUID eventId (any case) and a time with a zone', () => {
    const meta = (eventId: unknown, occurredAt: unknown) => {
      const checked = EventMetaSchema.safeParse({ eventId, occurredAt });
      return checked.success ? null : problemOf(checked.error);
    };
    expect(meta('3F0C6F8E-8A4B-4C1E-9F54-2F7F7A0F2A11', '2026-01-01T00:00:00.000Z')).toBeNull();
    expect(meta('x', '2026-01-01T00:00:00.000Z')).toBe('eventId is missing or not a UUID');
    expect(meta(undefined, '2026-01-01T00:00:00.000Z')).toBe('eventId is missing or not a UUID');
    expect(meta('3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11', 'yesterday')).toBe('occurredAt must be an ISO 8601 time with a zone');
  });
});
