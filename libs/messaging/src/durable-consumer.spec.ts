import { parseEvents } from './durable-consumer';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const valid = { eventId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11', occurredAt: '2026-01-01T00:00:00.000Z', tokenId: 't' };

describe('parseEvents', () => {
  it('accepts a known subject with eventId and occurredAt', () => {
    expect(parseEvents({ subject: 'tokens.issued.v1', data: body(valid) })).toEqual([{ subject: 'tokens.issued.v1', event: valid }]);
  });

  it('reads a JSON array as several events of the subject, each checked on its own (EVENTS_PER_MESSAGE)', () => {
    const second = { ...valid, eventId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a12' };
    expect(parseEvents({ subject: 'tokens.issued.v1', data: body([valid, second]) })).toEqual([
      { subject: 'tokens.issued.v1', event: valid },
      { subject: 'tokens.issued.v1', event: second },
    ]);
    const [good, bad, notObject] = parseEvents({ subject: 'tokens.issued.v1', data: body([valid, { ...valid, eventId: 'x' }, 1]) });
    expect(good).toEqual({ subject: 'tokens.issued.v1', event: valid });
    // A bad event of several comes with its own JSON, so that it is parked alone.
    expect(bad).toEqual({ problem: 'event 2 of 3: eventId is missing or not a UUID', body: JSON.stringify({ ...valid, eventId: 'x' }) });
    expect(notObject).toEqual({ problem: 'event 3 of 3: event is not a JSON object', body: '1' });
    expect(parseEvents({ subject: 'tokens.issued.v1', data: body([]) })).toEqual([{ problem: 'body is an empty array' }]);
  });

  it('explains why a message is not an event', () => {
    const reason = (subject: string, data: Uint8Array) => {
      const parsed = parseEvents({ subject, data });
      expect(parsed).toEqual([{ problem: expect.any(String) }]);
      return (parsed[0] as { problem: string }).problem;
    };
    expect(reason('tokens.other.v1', body(valid))).toMatch(/unknown subject/);
    expect(reason('tokens.issued.v1', Buffer.from('{oops'))).toMatch(/not JSON/);
    expect(reason('tokens.issued.v1', body('text'))).toMatch(/not a JSON object/);
    expect(reason('tokens.issued.v1', body({ ...valid, eventId: 'x' }))).toMatch(/eventId/);
    expect(reason('tokens.issued.v1', body({ ...valid, occurredAt: 'yesterday' }))).toMatch(/occurredAt/);
  });
});
