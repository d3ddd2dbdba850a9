import { MAX_PACK_BYTES, outboxEntry, packEvents } from './outbox';

const issued = (tokenId: string) =>
  outboxEntry('tokens.issued.v1', {
    tokenId,
    applicationId: 'app',
    consumerKey: 'key',
    keyType: 'PRODUCTION',
    grantType: 'client_credentials',
    scopes: ['default'],
    tokenType: 'OAUTH',
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T01:00:00.000Z',
    reused: false,
  }).entry;
const revoked = (tokenId: string) => outboxEntry('tokens.revoked.v1', { tokenId, applicationId: 'app', consumerKey: 'key', reason: 'renewed' }).entry;

describe('packEvents (EVENTS_PER_MESSAGE)', () => {
  it('leaves the rows as they are at one event per message', () => {
    const rows = [issued('a'), revoked('b'), issued('c')];
    expect(packEvents(rows, 1)).toBe(rows);
  });

  it('packs each subject in order, at most N to a row, as a JSON array of the event bodies under an id of its own', () => {
    const rows = [issued('a'), revoked('x'), issued('b'), issued('c'), revoked('y'), issued('d')];
    const packed = packEvents(rows, 3, 1_700_000_000_000);
    expect(packed.map((row) => row.subject)).toEqual(['tokens.issued.v1', 'tokens.issued.v1', 'tokens.revoked.v1']);
    const carried = packed.map((row) => (JSON.parse(row.body!) as Array<{ tokenId: string }> | { tokenId: string }));
    // A pack of one stays a plain event object, exactly the row it was.
    expect(packed[1]).toBe(rows[5]);
    expect(carried[0]).toEqual([rows[0], rows[2], rows[3]].map((row) => JSON.parse(row.body!)));
    expect(carried[2]).toEqual([rows[1], rows[4]].map((row) => JSON.parse(row.body!)));
    const eventIds = new Set(rows.map((row) => row.eventId));
    expect(eventIds.has(packed[0].eventId!)).toBe(false);
    expect(packed[0].eventId).not.toBe(packed[2].eventId);
    expect(packed[0].createdAt).toBe(1_700_000_000_000);
  });

  it('starts a new pack before one would pass MAX_PACK_BYTES, so no message nears the 1 MB limit of nats-server', () => {
    const big = (tokenId: string) => ({ ...issued(tokenId), body: JSON.stringify({ tokenId, filler: 'x'.repeat(100_000) }) });
    const rows = [big('a'), big('b'), big('c'), big('d'), big('e')];
    const packed = packEvents(rows, 100);
    expect(packed.map((row) => row.body!.length <= MAX_PACK_BYTES)).toEqual(packed.map(() => true));
    expect(packed.flatMap((row) => [JSON.parse(row.body!)].flat().map((event: { tokenId: string }) => event.tokenId))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(packed).toHaveLength(3);
  });
});
