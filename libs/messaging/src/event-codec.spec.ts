import { SAMPLE_PAYLOADS, sampleEvent } from '../../contracts/test/event-samples';
import { headerBytes, messageBytes, WIDE_ORIGIN, wideEvents } from '../test/wide-events';
import { decodeEvents, encodeEvent, isEventProblem, MAX_PACK_BYTES, MAX_PACK_HEADER_BYTES, packEvents } from './event-codec';

const issued = (tokenId: string) => encodeEvent('tokens.issued.v1', { ...SAMPLE_PAYLOADS['tokens.issued.v1'], tokenId });
const revoked = (tokenId: string) => encodeEvent('tokens.revoked.v1', { tokenId, applicationId: 'app', consumerKey: 'key', reason: 'renewed' });

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('encodeEvent', () => {
  it('makes the outbox row: the payload as given plus eventId and occurredAt, under a time-ordered id', () => {
    const now = new Date('2026-03-01T12:00:00.000Z');
    const payload = { tokenId: null, applicationId: 'app', consumerKey: 'key', reason: 'key_revoked' as const };
    const row = encodeEvent('tokens.revoked.v1', payload, undefined, now.getTime());
    expect(row).toEqual({ eventId: expect.any(String), subject: 'tokens.revoked.v1', body: expect.any(String), createdAt: now.getTime() });
    // Byte for byte what the bus has always carried: the payload's own fields in its order, then the meta.
    expect(row.body).toBe(`{"tokenId":null,"applicationId":"app","consumerKey":"key","reason":"key_revoked","eventId":"${row.eventId}","occurredAt":"2026-03-01T12:00:00.000Z"}`);
    expect(row.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const later = encodeEvent('tokens.revoked.v1', payload, undefined, now.getTime() + 1);
    expect(later.eventId > row.eventId).toBe(true);
  });

  it('refuses a payload its schema refuses, naming the field, before anything is written', () => {
    const broken = { ...SAMPLE_PAYLOADS['tokens.issued.v1'], applicationId: '' };
    expect(() => encodeEvent('tokens.issued.v1', broken)).toThrow(
      'refusing to publish a tokens.issued.v1 whose applicationId must be a non-empty string of at most 100 characters',
    );
    expect(() => encodeEvent('tokens.revoked.v1', { tokenId: 't', applicationId: 'a', consumerKey: 'k', reason: 'rotated' as never })).toThrow(/reason must be one of/);
  });
});

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
    expect(carried[0]).toEqual([rows[0], rows[2], rows[3]].map((row) => JSON.parse(row.body)));
    expect(carried[2]).toEqual([rows[1], rows[4]].map((row) => JSON.parse(row.body)));
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

  it('keeps every pack under MAX_PACK_BYTES on the wire, headers and UTF-8 included, and its headers under MAX_PACK_HEADER_BYTES: 1,000 events with the widest headers and text beyond ASCII', () => {
    const rows = wideEvents(1000);
    const packed = packEvents(rows, 1000);
    expect(packed.length).toBeGreaterThan(1);
    expect(Math.max(...packed.map(messageBytes))).toBeLessThanOrEqual(MAX_PACK_BYTES);
    // JetStream refuses headers over 64 KiB whatever max_payload is.
    expect(Math.max(...packed.map(headerBytes))).toBeLessThanOrEqual(MAX_PACK_HEADER_BYTES);
    // Every event once, in order, each with its own headers.
    expect(packed.flatMap((row) => [JSON.parse(row.body!)].flat().map((event: { eventId: string }) => event.eventId))).toEqual(rows.map((row) => row.eventId));
    expect(packed.flatMap((row) => (JSON.parse(row.headers!) as Record<string, string[]>)['X-Request-Id'])).toEqual(rows.map(() => WIDE_ORIGIN.requestId));
  });
});

describe('decodeEvents', () => {
  const valid = sampleEvent('tokens.issued.v1');

  it('accepts a known subject with eventId, occurredAt and the payload its schema asks for', () => {
    expect(decodeEvents({ subject: 'tokens.issued.v1', data: body(valid) })).toEqual([{ subject: 'tokens.issued.v1', event: valid }]);
  });

  it('hands over the event as it came, fields no schema names included (forward compatibility)', () => {
    const [decoded] = decodeEvents({ subject: 'tokens.issued.v1', data: body({ ...valid, addedLater: 'kept' }) });
    expect(decoded).toEqual({ subject: 'tokens.issued.v1', event: { ...valid, addedLater: 'kept' } });
  });

  it('reads back what encodeEvent and packEvents wrote', () => {
    const single = encodeEvent('tokens.revoked.v1', { tokenId: null, applicationId: 'app', consumerKey: 'key', reason: 'secret_regenerated' });
    expect(decodeEvents({ subject: single.subject, data: Buffer.from(single.body) })).toEqual([
      { subject: 'tokens.revoked.v1', event: { tokenId: null, applicationId: 'app', consumerKey: 'key', reason: 'secret_regenerated', eventId: single.eventId, occurredAt: expect.any(String) } },
    ]);
    const rows = [issued('a'), issued('b'), issued('c')];
    const [pack] = packEvents(rows, 3);
    const decoded = decodeEvents({ subject: pack.subject!, data: Buffer.from(pack.body!) });
    expect(decoded).toEqual(rows.map((row) => ({ subject: 'tokens.issued.v1', event: JSON.parse(row.body) })));
  });

  it('reads a JSON array as several events of the subject, each checked on its own (EVENTS_PER_MESSAGE)', () => {
    const second = { ...valid, eventId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a12' };
    expect(decodeEvents({ subject: 'tokens.issued.v1', data: body([valid, second]) })).toEqual([
      { subject: 'tokens.issued.v1', event: valid },
      { subject: 'tokens.issued.v1', event: second },
    ]);
    const badPayload = { ...valid, keyType: 'production' };
    const [good, bad, notObject, refused] = decodeEvents({ subject: 'tokens.issued.v1', data: body([valid, { ...valid, eventId: 'x' }, 1, badPayload]) });
    expect(good).toEqual({ subject: 'tokens.issued.v1', event: valid });
    // A bad event of several comes with its own JSON, so that it is parked alone.
    expect(bad).toEqual({ problem: 'event 2 of 4: eventId is missing or not a UUID', body: JSON.stringify({ ...valid, eventId: 'x' }) });
    expect(notObject).toEqual({ problem: 'event 3 of 4: event is not a JSON object', body: '1' });
    expect(refused).toEqual({ problem: 'event 4 of 4: keyType must be one of PRODUCTION, SANDBOX', body: JSON.stringify(badPayload) });
    expect(decodeEvents({ subject: 'tokens.issued.v1', data: body([]) })).toEqual([{ problem: 'body is an empty array' }]);
  });

  it('explains why a message is not an event', () => {
    const reason = (subject: string, data: Uint8Array) => {
      const decoded = decodeEvents({ subject, data });
      expect(decoded).toEqual([{ problem: expect.any(String) }]);
      expect(isEventProblem(decoded[0])).toBe(true);
      return (decoded[0] as { problem: string }).problem;
    };
    expect(reason('tokens.other.v1', body(valid))).toBe('unknown subject tokens.other.v1');
    expect(reason('tokens.issued.v1', Buffer.from('{oops'))).toBe('body is not JSON');
    expect(reason('tokens.issued.v1', body('text'))).toBe('event is not a JSON object');
    expect(reason('tokens.issued.v1', body({ ...valid, eventId: 'x' }))).toMatch(/eventId/);
    expect(reason('tokens.issued.v1', body({ ...valid, occurredAt: 'yesterday' }))).toMatch(/occurredAt/);
    // The payload is checked against the subject's own schema: a valid revocation is no valid issuance.
    expect(reason('tokens.issued.v1', body(sampleEvent('tokens.revoked.v1')))).toBe('keyType must be one of PRODUCTION, SANDBOX');
    expect(reason('registry.application.created.v1', body({ ...sampleEvent('registry.application.created.v1'), name: '' }))).toBe(
      'name must be a non-empty string of at most 255 characters',
    );
  });
});
