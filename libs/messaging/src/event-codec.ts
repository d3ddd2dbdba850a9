import { EVENT_SCHEMAS, EventMap, EventMessage, EventMetaSchema, EventSubject, isEventSubject, problemOf, ReceivedEvent } from '@keymint/contracts';
import { timeOrderedUuid } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { EventOrigin, eventHeaderBytes, eventOriginOf, outboxHeadersOf } from './context-headers';
import type { OutboxEntry } from './messaging.entities';

/**
 * The one way events become bytes and back: producers encode with
 * `encodeEvent` (and `packEvents`), consumers decode with `decodeEvents`, and
 * both check the payload against its subject's schema (EVENT_SCHEMAS in
 * @keymint/contracts).
 */

/**
 * An outbox row as the codec makes it: what the relay publishes, `body` being the message and `headers` its
 * NATS headers (set by packEvents); `origin`, for an event, the request that wrote it (context-headers.ts).
 */
export type OutboxRow = Pick<OutboxEntry, 'eventId' | 'subject' | 'body' | 'createdAt'> & { headers?: string | null; origin?: EventOrigin };

/**
 * An event, ready to insert in the caller's transaction. The payload is checked
 * against its subject's schema first: a producer's bug throws here, before
 * anything is written. Event ids are time-ordered UUIDs: every consumer records
 * each id it applied, and ordered ids append to that index instead of dirtying
 * a random page of it. `origin`: the request the event is written for (its id and trace go with the event, in
 * its message's headers); none for an event the service writes on its own.
 */
export function encodeEvent<S extends EventSubject>(subject: S, payload: EventMap[S], origin?: RequestContext, now = Date.now()): OutboxRow {
  const checked = EVENT_SCHEMAS[subject].safeParse(payload);
  if (!checked.success) throw new Error(`refusing to publish a ${subject} whose ${problemOf(checked.error)}`);
  const eventId = timeOrderedUuid(now);
  // The payload as given, not the schema's copy of it: the body is exactly what the producer wrote, then the
  // event's own two fields (a UUID and an ISO time: nothing to escape). Appended to the payload's JSON rather than
  // copied into a new object first: this runs for every token.
  const json = JSON.stringify(payload);
  const body = `${json.length > 2 ? `${json.slice(0, -1)},` : '{'}"eventId":"${eventId}","occurredAt":"${isoTimeOf(now)}"}`;
  return { eventId, subject, body, createdAt: now, origin: eventOriginOf(origin) };
}

/**
 * `new Date(ms).toISOString()`, the last answer kept: the token path writes two or three times per token, most
 * of them of the same millisecond.
 */
export function isoTimeOf(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}
let lastIsoMs = NaN;
let lastIso = '';

/**
 * A pack's whole message (its events' bodies in UTF-8 and their headers: request ids, trace context) stays well
 * under nats-server's default 1 MB message limit (max_payload), whatever its events carry (long scope lists,
 * text beyond ASCII, long request ids): the relay would have to split a message over the server's limit
 * (JetStreamPublisher), so at the default it never does.
 */
export const MAX_PACK_BYTES = 256 * 1024;

/**
 * JetStream refuses a message whose headers pass 64 KiB ("header size exceeds maximum allowed of 64k"),
 * whatever max_payload is.
 */
export const JETSTREAM_MAX_HEADER_BYTES = 64 * 1024;

/** A pack carries each of its headers once per event: a pack's headers stay under half of JetStream's limit. */
export const MAX_PACK_HEADER_BYTES = JETSTREAM_MAX_HEADER_BYTES / 2;

/** Room a pack keeps for what its message carries besides its events: `NATS/1.0`, the `Nats-Msg-Id` header, the brackets. */
export const PACK_OVERHEAD_BYTES = 256;

/**
 * EVENTS_PER_MESSAGE: packs outbox rows of one subject, up to `perMessage`
 * (and MAX_PACK_BYTES of message, headers included, MAX_PACK_HEADER_BYTES of headers) at a time, into one row whose body is the JSON array of
 * their bodies. The relay publishes a row as one message whatever it holds,
 * with the row's own id as `Nats-Msg-Id`, so a republished pack is dropped by
 * JetStream as a single event is. Order within a subject is kept; a pack of
 * one stays a plain event.
 */
export function packEvents(entries: OutboxRow[], perMessage: number, now = Date.now()): OutboxRow[] {
  if (perMessage <= 1 || entries.length <= 1) {
    for (const entry of entries) withHeaders(entry);
    return entries;
  }
  const bySubject = new Map<string, OutboxRow[]>();
  for (const entry of entries) {
    const group = bySubject.get(entry.subject!);
    if (group) group.push(entry);
    else bySubject.set(entry.subject!, [entry]);
  }
  const packed: OutboxRow[] = [];
  const flush = (subject: string, pack: OutboxRow[]) => {
    if (pack.length === 1) packed.push(withHeaders(pack[0]));
    else if (pack.length > 1) {
      const body = `[${pack.map((entry) => entry.body).join(',')}]`;
      packed.push({ eventId: timeOrderedUuid(now), subject, body, createdAt: now, headers: outboxHeadersOf(pack.map((entry) => entry.origin)) });
    }
  };
  for (const [subject, group] of bySubject) {
    let pack: OutboxRow[] = [];
    let bytes = PACK_OVERHEAD_BYTES;
    let headerBytes = PACK_OVERHEAD_BYTES;
    for (const entry of group) {
      // What the event adds to the message on the wire: its headers, and its body in UTF-8 and a comma.
      const eventHeaders = eventHeaderBytes(entry.origin);
      const size = Buffer.byteLength(entry.body!) + 1 + eventHeaders;
      if (pack.length === perMessage || (pack.length > 0 && (bytes + size > MAX_PACK_BYTES || headerBytes + eventHeaders > MAX_PACK_HEADER_BYTES))) {
        flush(subject, pack);
        pack = [];
        bytes = PACK_OVERHEAD_BYTES;
        headerBytes = PACK_OVERHEAD_BYTES;
      }
      pack.push(entry);
      bytes += size;
      headerBytes += eventHeaders;
    }
    flush(subject, pack);
  }
  return packed;
}

/** A row of one event, given the headers its origin gives it (in place: this runs for every token). */
export function withHeaders(row: OutboxRow): OutboxRow {
  row.headers = outboxHeadersOf([row.origin]);
  return row;
}

/** Why a message, or one event of it, is not an event; `body` is that event's own JSON when the message carried several. */
export interface EventProblem {
  problem: string;
  body?: string;
}

export type DecodedEvent = ReceivedEvent | EventProblem;

export const isEventProblem = (decoded: DecodedEvent): decoded is EventProblem => 'problem' in decoded;

/**
 * The events a message carries, each valid or the reason it is not: one event
 * object, or a JSON array of them (EVENTS_PER_MESSAGE, docs/token-api.md).
 * Valid means its subject's payload schema and the event meta (eventId,
 * occurredAt) accept it; a consumer never sees anything else.
 */
export function decodeEvents(message: { subject: string; data: Uint8Array }): DecodedEvent[] {
  if (!isEventSubject(message.subject)) return [{ problem: `unknown subject ${message.subject}` }];
  const subject = message.subject;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(message.data).toString('utf8'));
  } catch {
    return [{ problem: 'body is not JSON' }];
  }
  if (!Array.isArray(body)) {
    const event = checkEvent(subject, body);
    return [typeof event === 'string' ? { problem: event } : event];
  }
  if (body.length === 0) return [{ problem: 'body is an empty array' }];
  return body.map((element: unknown, index) => {
    const event = checkEvent(subject, element);
    return typeof event === 'string' ? { problem: `event ${index + 1} of ${body.length}: ${event}`, body: JSON.stringify(element) } : event;
  });
}

function checkEvent(subject: EventSubject, body: unknown): ReceivedEvent | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'event is not a JSON object';
  const meta = EventMetaSchema.safeParse(body);
  if (!meta.success) return problemOf(meta.error);
  const payload = EVENT_SCHEMAS[subject].safeParse(body);
  if (!payload.success) return problemOf(payload.error);
  // The body as it came, not the schemas' copies: a field no schema names still reaches the handler (and a parked event).
  return { subject, event: body } as ReceivedEvent;
}
