import { headers as natsHeaders } from 'nats';
import { MAX_REQUEST_ID_LENGTH } from '@keymint/telemetry';
import { appendOutboxHeaders, EventOrigin } from '../src/context-headers';
import { encodeEvent, OutboxRow } from '../src/event-codec';

/**
 * The widest headers an event can carry: the longest request id accepted, W3C trace context with a tracestate
 * of its largest size (512 characters).
 */
export const WIDE_ORIGIN: EventOrigin = {
  requestId: 'r'.repeat(MAX_REQUEST_ID_LENGTH),
  traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
  tracestate: `one=${'x'.repeat(252)},two=${'y'.repeat(251)}`,
};

/**
 * tokens.revoked.v1 events that pack as badly as events can: short, so ~1,000 fit a pack by characters, with an
 * applicationId of 100 characters of 3 UTF-8 bytes each, and the widest headers. 1,000 of them packed by body
 * characters alone made a message of ~1.2 MB, over nats-server's default max_payload.
 */
export function wideEvents(count: number, tag = 'wide'): OutboxRow[] {
  return Array.from({ length: count }, (_, index) => {
    const row = encodeEvent('tokens.revoked.v1', { tokenId: `${tag}-${index}`, applicationId: '€'.repeat(100), consumerKey: 'key', reason: 'renewed' });
    row.origin = WIDE_ORIGIN;
    return row;
  });
}

/** The bytes an outbox row's message takes on the wire: its body in UTF-8 and its NATS headers, Nats-Msg-Id included. */
export function messageBytes(row: { eventId?: string; body?: string; headers?: string | null }): number {
  return Buffer.byteLength(row.body!) + headerBytes(row);
}

/** The bytes of an outbox row's NATS headers on the wire, Nats-Msg-Id included. */
export function headerBytes(row: { eventId?: string; headers?: string | null }): number {
  const headers = natsHeaders();
  headers.set('Nats-Msg-Id', row.eventId!);
  appendOutboxHeaders(headers, row.headers);
  return (headers as typeof headers & { encode(): Uint8Array }).encode().length;
}
