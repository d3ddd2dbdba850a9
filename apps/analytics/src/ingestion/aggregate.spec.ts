import { EVENT_SUBJECTS, ReceivedEvent } from '@keymint/contracts';
import { decodeEvents, isEventProblem } from '@keymint/messaging';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../time-buckets/time-buckets';
import { aggregate } from './aggregate';
import { COUNTED_SUBJECTS, countedOf, CountedEvent, Issuance } from './counted-events';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

function issuance(overrides: Partial<Issuance> = {}): Issuance {
  return { applicationId: 'app-a', keyType: 'PRODUCTION', grantType: 'client_credentials', clientAuthMethod: 'client_secret_basic', tokenBinding: 'bearer', issuedAt: T0, reused: false, ...overrides };
}

describe('aggregate', () => {
  it('counts a reused token as served, not minted', () => {
    const deltas = aggregate([issuance(), issuance({ reused: true }), issuance({ issuedAt: T0 + 59_999 })]);
    expect(deltas.rollups.minute).toEqual([
      { bucket: T0, applicationId: 'app-a', keyType: 'PRODUCTION', grantType: 'client_credentials', clientAuthMethod: 'client_secret_basic', tokenBinding: 'bearer', minted: 2, served: 3 },
    ]);
  });

  it('rolls the same events up per minute, hour and day', () => {
    const deltas = aggregate([issuance({ issuedAt: T0 + 30_000 }), issuance({ issuedAt: T0 + MINUTE_MS + 5 }), issuance({ issuedAt: T0 + HOUR_MS })]);
    expect(deltas.rollups.minute.map((row) => [row.bucket, row.served])).toEqual([
      [T0, 1],
      [T0 + MINUTE_MS, 1],
      [T0 + HOUR_MS, 1],
    ]);
    expect(deltas.rollups.hour.map((row) => [row.bucket, row.served])).toEqual([
      [T0, 2],
      [T0 + HOUR_MS, 1],
    ]);
    const day = Math.floor(T0 / DAY_MS) * DAY_MS;
    expect(deltas.rollups.day.map((row) => [row.bucket, row.served])).toEqual([[day, 3]]);
  });

  it('keeps applications, key types, grant types and client-authentication methods apart', () => {
    const deltas = aggregate([
      issuance(),
      issuance({ applicationId: 'app-b' }),
      issuance({ keyType: 'SANDBOX' }),
      issuance({ grantType: 'password', username: 'ann' }),
      issuance({ clientAuthMethod: 'private_key_jwt' }),
      issuance({ clientAuthMethod: 'private_key_jwt', reused: true }),
      issuance({ tokenBinding: 'dpop' }),
      issuance({ tokenBinding: 'mtls' }),
    ]);
    expect(deltas.rollups.minute).toHaveLength(7);
    expect(deltas.rollups.minute.find((row) => row.clientAuthMethod === 'private_key_jwt')).toMatchObject({ minted: 1, served: 2 });
    expect(deltas.applicationsSeen.sort()).toEqual(['app-a', 'app-b']);
  });

  it('adds users from password and refresh grants, never from client credentials', () => {
    const deltas = aggregate([
      issuance({ grantType: 'password', username: 'ann', issuedAt: T0 + 5 }),
      issuance({ grantType: 'refresh_token', username: 'ann', issuedAt: T0 + DAY_MS }),
      issuance({ grantType: 'password', username: 'ann', issuedAt: T0 }),
      issuance({ grantType: 'client_credentials', username: 'bob' }),
      issuance({ grantType: 'password', username: 'ann', applicationId: 'app-b' }),
    ]);
    expect(deltas.users).toEqual([
      { applicationId: 'app-a', username: 'ann', tokenCount: 3, firstSeen: T0, lastSeen: T0 + DAY_MS },
      { applicationId: 'app-b', username: 'ann', tokenCount: 1, firstSeen: T0, lastSeen: T0 },
    ]);
    const day = Math.floor(T0 / DAY_MS) * DAY_MS;
    expect(deltas.userActivity.day).toEqual([
      { bucket: day, applicationId: 'app-a', username: 'ann', tokenCount: 2 },
      { bucket: day + DAY_MS, applicationId: 'app-a', username: 'ann', tokenCount: 1 },
      { bucket: day, applicationId: 'app-b', username: 'ann', tokenCount: 1 },
    ]);
    expect(deltas.userActivity.minute).toEqual([
      { bucket: T0, applicationId: 'app-a', username: 'ann', tokenCount: 2 },
      { bucket: T0 + DAY_MS, applicationId: 'app-a', username: 'ann', tokenCount: 1 },
      { bucket: T0, applicationId: 'app-b', username: 'ann', tokenCount: 1 },
    ]);
    expect(deltas.userActivity.hour).toHaveLength(3);
  });

  it('keeps the latest application change per batch, and the name through a delete that omits it', () => {
    const deltas = aggregate(
      [],
      [
        { applicationId: 'app-a', name: 'Old', owner: 'alice', deleted: false, occurredAt: 1 },
        { applicationId: 'app-a', name: 'New', owner: 'alice', deleted: false, occurredAt: 2 },
        { applicationId: 'app-a', deleted: true, occurredAt: 3 },
        { applicationId: 'app-b', name: 'Late', owner: 'bob', deleted: false, occurredAt: 9 },
        { applicationId: 'app-b', name: 'Stale', owner: 'bob', deleted: false, occurredAt: 8 },
      ],
    );
    expect(deltas.applicationChanges).toEqual([
      { applicationId: 'app-a', name: 'New', owner: 'alice', deleted: true, occurredAt: 3 },
      { applicationId: 'app-b', name: 'Late', owner: 'bob', deleted: false, occurredAt: 9 },
    ]);
  });
});

/**
 * What the analytics consumers make of one message: the codec checks the event against its schema
 * (what it refuses is parked with the reason, never counted), then `countedOf` reduces it.
 */
function ingest(subject: string, body: unknown): CountedEvent | { parked: string } {
  const [decoded] = decodeEvents({ subject, data: Buffer.from(JSON.stringify(body)) });
  return isEventProblem(decoded) ? { parked: decoded.problem } : countedOf(decoded);
}

describe('what an event counts for', () => {
  const issued = (overrides: Record<string, unknown> = {}) => ({
    eventId: '6f1c0f43-6f3e-4a55-9d7f-0d1c4bfb0a11',
    occurredAt: '2026-11-25T10:00:00Z',
    tokenId: 't1',
    applicationId: 'app-a',
    consumerKey: 'ck',
    keyType: 'PRODUCTION',
    grantType: 'password',
    username: 'ann',
    scopes: [],
    tokenType: 'JWT',
    issuedAt: '2026-11-25T10:00:30.500Z',
    expiresAt: '2026-11-25T11:00:30.500Z',
    reused: false,
    clientAuthMethod: 'private_key_jwt',
    ...overrides,
  });

  it('reduces a token event to what the statistics need', () => {
    expect(ingest('tokens.issued.v1', issued())).toEqual({
      kind: 'issuance',
      issuance: {
        applicationId: 'app-a',
        keyType: 'PRODUCTION',
        grantType: 'password',
        clientAuthMethod: 'private_key_jwt',
        tokenBinding: 'bearer',
        username: 'ann',
        issuedAt: T0 + 30_500,
        reused: false,
      },
    });
  });

  it('tells tokens by what their cnf binds them to: a DPoP key, a client certificate, or nothing', () => {
    const bindingOf = (cnf: unknown) => {
      const counted = ingest('tokens.issued.v1', issued({ cnf }));
      return 'issuance' in counted ? counted.issuance.tokenBinding : counted;
    };
    expect(bindingOf({ jkt: 'x'.repeat(43) })).toBe('dpop');
    expect(bindingOf({ 'x5t#S256': 'y'.repeat(43) })).toBe('mtls');
    expect(bindingOf(undefined)).toBe('bearer');
    expect(bindingOf({ jkt: '' })).toEqual({ parked: expect.stringContaining('cnf') });
  });

  it('counts the event of a token service that did not say how its client authenticated as `unknown`', () => {
    expect(ingest('tokens.issued.v1', issued({ clientAuthMethod: undefined }))).toEqual({
      kind: 'issuance',
      issuance: expect.objectContaining({ clientAuthMethod: 'unknown' }),
    });
  });

  it('drops the username of a client-credentials token', () => {
    expect(ingest('tokens.issued.v1', issued({ grantType: 'client_credentials', username: 'bob' }))).toEqual({
      kind: 'issuance',
      issuance: expect.not.objectContaining({ username: expect.anything() }),
    });
  });

  it.each([
    [{ grantType: 'implicit' }, 'grantType'],
    [{ keyType: 'production' }, 'keyType'],
    [{ applicationId: '' }, 'applicationId'],
    [{ applicationId: 'x'.repeat(101) }, 'applicationId'],
    [{ username: undefined }, 'username'],
    [{ issuedAt: 'yesterday' }, 'issuedAt'],
    [{ issuedAt: '2026-11-25T10:00:00' }, 'issuedAt'],
    [{ reused: 'no' }, 'reused'],
    [{ consumerKey: 7 }, 'consumerKey'],
    [{ clientAuthMethod: 'unknown' }, 'clientAuthMethod'],
    [{ clientAuthMethod: 'client_secret_jwt' }, 'clientAuthMethod'],
  ])('parks %p (field %s)', (overrides, field) => {
    expect(ingest('tokens.issued.v1', issued(overrides))).toEqual({ parked: expect.stringContaining(field) });
  });

  it('reads application events and ignores the families no statistic uses', () => {
    const created = {
      eventId: '6f1c0f43-6f3e-4a55-9d7f-0d1c4bfb0a12',
      occurredAt: '2026-11-25T10:00:00Z',
      applicationId: 'app-a',
      name: 'Shop',
      owner: 'alice',
      tokenType: 'JWT',
      throttlingPolicy: 'Unlimited',
    };
    expect(ingest('registry.application.created.v1', created)).toEqual({
      kind: 'application',
      change: { applicationId: 'app-a', name: 'Shop', owner: 'alice', deleted: false, occurredAt: T0 },
    });
    expect(ingest('registry.application.created.v1', { ...created, name: undefined })).toEqual({ parked: expect.stringContaining('name') });
    expect(ingest('registry.application.deleted.v1', { eventId: created.eventId, occurredAt: created.occurredAt, applicationId: 'app-a', name: '' })).toEqual({
      kind: 'application',
      change: { applicationId: 'app-a', name: undefined, owner: undefined, deleted: true, occurredAt: T0 },
    });
    const revoked = { subject: 'tokens.revoked.v1', event: { eventId: 'e', occurredAt: '2026-11-25T10:00:00Z' } } as unknown as ReceivedEvent;
    expect(countedOf(revoked)).toEqual({ kind: 'ignored' });
  });

  it('counts exactly the subjects of COUNTED_SUBJECTS (the consumers leave the others unread)', () => {
    for (const subject of EVENT_SUBJECTS) {
      const bare = { eventId: '6f1c0f43-6f3e-4a55-9d7f-0d1c4bfb0a13', occurredAt: '2026-11-25T10:00:00Z' };
      // A counted subject reads its fields (and a bare event is parked); any other is ignored whatever it holds.
      if (COUNTED_SUBJECTS.has(subject)) expect(ingest(subject, bare)).toEqual({ parked: expect.any(String) });
      else expect(countedOf({ subject, event: bare } as unknown as ReceivedEvent)).toEqual({ kind: 'ignored' });
    }
    expect(COUNTED_SUBJECTS.size).toBe(4);
  });
});
