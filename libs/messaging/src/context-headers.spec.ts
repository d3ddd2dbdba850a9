import { headers as natsHeaders, MsgHdrs } from 'nats';
import { SAMPLE_PAYLOADS } from '../../contracts/test/event-samples';
import { appendOutboxHeaders, contextFromHeaders, eventOrigins, outboxHeadersOf } from './context-headers';
import { encodeEvent, packEvents } from './event-codec';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function messageHeaders(stored: string | null | undefined): MsgHdrs {
  const headers = natsHeaders();
  appendOutboxHeaders(headers, stored);
  return headers;
}

describe('request ids and trace context in NATS headers', () => {
  const issued = (tokenId: string, requestId?: string) =>
    encodeEvent('tokens.issued.v1', { ...SAMPLE_PAYLOADS['tokens.issued.v1'], tokenId }, requestId === undefined ? undefined : { requestId });

  it('an event carries the request that wrote it; a pack carries one value per event, in order, and nothing in the events', () => {
    const a = issued('a', 'req-a');
    const outside = issued('b');
    const c = issued('c', 'req-c');
    const [pack] = packEvents([a, outside, c], 100);
    expect(JSON.parse(pack.body)).toEqual([a, outside, c].map((row) => JSON.parse(row.body)));
    expect(pack.body).not.toContain('req-');

    const received = messageHeaders(pack.headers);
    expect(received.values('X-Request-Id')).toEqual(['req-a', '', 'req-c']);
    expect(eventOrigins(received, 3).map((origin) => origin.requestId)).toEqual(['req-a', undefined, 'req-c']);
    // A lone event: the header once, as over HTTP.
    const [single] = packEvents([issued('d', 'req-d')], 100);
    expect(messageHeaders(single.headers).values('X-Request-Id')).toEqual(['req-d']);
    // Events written outside any request: no headers at all.
    expect(packEvents([issued('e'), issued('f')], 100)[0].headers).toBeNull();
  });

  it('names no event when the number of values is not the number of events, and takes no unsound request id', () => {
    const stored = outboxHeadersOf([{ requestId: 'ok-1' }, { requestId: 'ok-2' }]);
    expect(eventOrigins(messageHeaders(stored), 3).map((origin) => origin.requestId)).toEqual([undefined, undefined, undefined]);
    const forged = natsHeaders();
    forged.append('X-Request-Id', 'x'.repeat(500));
    expect(eventOrigins(forged, 1)[0].requestId).toBeUndefined();
    expect(contextFromHeaders(forged).requestId).not.toBe('x'.repeat(500));
  });

  it('reads the W3C trace context of each event and of an RPC', () => {
    const stored = outboxHeadersOf([{ requestId: 'r1', traceparent: TRACEPARENT }, { requestId: 'r2' }]);
    const origins = eventOrigins(messageHeaders(stored), 2);
    expect(origins[0].trace).toBeDefined();
    expect(origins[1].trace).toBeUndefined();
    const rpc = natsHeaders();
    rpc.set('X-Request-Id', 'r3');
    rpc.set('traceparent', TRACEPARENT);
    expect(contextFromHeaders(rpc)).toEqual({ requestId: 'r3', trace: expect.anything() });
    rpc.set('traceparent', 'not a traceparent');
    expect(contextFromHeaders(rpc).trace).toBeUndefined();
  });
});
