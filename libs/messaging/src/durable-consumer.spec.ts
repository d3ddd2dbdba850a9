import { parseEvent } from './durable-consumer';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const valid = { eventId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11', occurredAt: '2026-01-01T00:00:00.000Z', tokenId: 't' };

describe('parseEvent', () => {
  it('accepts a known subject with eventId and occurredAt', () => {
    expect(parseEvent({ subject: 'tokens.issued.v1', data: body(valid) })).toEqual({ subject: 'tokens.issued.v1', event: valid });
  });

  it('explains why a message is not an event', () => {
    expect(parseEvent({ subject: 'tokens.other.v1', data: body(valid) })).toMatch(/unknown subject/);
    expect(parseEvent({ subject: 'tokens.issued.v1', data: Buffer.from('{oops') })).toMatch(/not JSON/);
    expect(parseEvent({ subject: 'tokens.issued.v1', data: body([1]) })).toMatch(/not a JSON object/);
    expect(parseEvent({ subject: 'tokens.issued.v1', data: body({ ...valid, eventId: 'x' }) })).toMatch(/eventId/);
    expect(parseEvent({ subject: 'tokens.issued.v1', data: body({ ...valid, occurredAt: 'yesterday' }) })).toMatch(/occurredAt/);
  });
});
