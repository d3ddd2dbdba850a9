import { headers as natsHeaders, MsgHdrs } from 'nats';
import {
  acceptableRequestId,
  Context,
  contextFromTraceHeaders,
  REQUEST_ID_HEADER,
  RequestContext,
  requestIdOf,
  traceHeadersOf,
} from '@keymint/telemetry';

/**
 * How a request's id and trace context cross the bus, in NATS headers named
 * as over HTTP: `X-Request-Id`, and W3C trace context's `traceparent` and
 * `tracestate` (while tracing is on).
 *
 * An RPC carries its caller's. An event message carries those of the
 * request that wrote each of its events: a message that is a pack of events
 * (EVENTS_PER_MESSAGE) carries each header once per event, in the order of
 * the events in the pack (NATS headers, like HTTP's, may repeat), and '' for
 * an event written outside any request. The events themselves are unchanged:
 * where a request came from is the transport's business, not the event's, and
 * a consumer that reads only the body sees what it always saw. A consumer
 * that reads one value of a header gets the first event's, which is the whole
 * message's when it carries one event.
 */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** Headers for an RPC asked on behalf of `requestId`, under the span whose context is `trace`. */
export function contextHeaders(requestId: string | undefined, trace: Context | undefined): MsgHdrs {
  const headers = natsHeaders();
  if (requestId) headers.set(REQUEST_ID_HEADER, requestId);
  if (trace) {
    const { traceparent, tracestate } = traceHeadersOf(trace);
    if (traceparent) headers.set(TRACEPARENT_HEADER, traceparent);
    if (tracestate) headers.set(TRACESTATE_HEADER, tracestate);
  }
  return headers;
}

/** What a received message says of the request it belongs to: a sound request id (else a new one) and the remote trace context, if any. */
export function contextFromHeaders(headers: MsgHdrs | undefined): { requestId: string; trace?: Context } {
  return {
    requestId: requestIdOf(headers?.get(REQUEST_ID_HEADER)),
    trace: contextFromTraceHeaders(headers?.get(TRACEPARENT_HEADER) || undefined, headers?.get(TRACESTATE_HEADER) || undefined),
  };
}

/** Where an event was written: the request's id and trace context headers, as text. */
export interface EventOrigin {
  requestId?: string;
  traceparent?: string;
  tracestate?: string;
}

/** The origin of an event written for `request`; undefined for one written outside any (a timer's, a batch's). */
export function eventOriginOf(request: RequestContext | undefined): EventOrigin | undefined {
  if (!request) return undefined;
  // Without a trace the request itself is the origin ({ requestId }): nothing is made for each event.
  return request.trace ? { requestId: request.requestId, ...traceHeadersOf(request.trace) } : request;
}

/**
 * The most one event's headers take in a message (nats.js writes each value as `\r\nName: value`): the names
 * and separators of all three headers, written for every event of a pack once any event has a value, plus the
 * event's own values. Request ids and trace context are ASCII by their rules (the request id's pattern, W3C
 * trace context), so characters are bytes. Packs are sized with it (event-codec.ts, outbox.ts).
 */
export const EVENT_HEADER_LINES_BYTES = [REQUEST_ID_HEADER, TRACEPARENT_HEADER, TRACESTATE_HEADER].reduce((bytes, name) => bytes + name.length + 4, 0);

export function eventHeaderBytes(origin: EventOrigin | undefined): number {
  if (!origin) return EVENT_HEADER_LINES_BYTES;
  return EVENT_HEADER_LINES_BYTES + (origin.requestId?.length ?? 0) + (origin.traceparent?.length ?? 0) + (origin.tracestate?.length ?? 0);
}

/**
 * The headers of a message carrying events of these origins, in event order, as the outbox stores them (JSON:
 * header name → one value per event); null when no event has any. One pass: this runs for every outbox row.
 */
export function outboxHeadersOf(origins: ReadonlyArray<EventOrigin | undefined>): string | null {
  let requestIds: string[] | undefined;
  let traceparents: string[] | undefined;
  let tracestates: string[] | undefined;
  for (let index = 0; index < origins.length; index++) {
    const origin = origins[index];
    if (!origin) continue;
    if (origin.requestId) (requestIds ??= new Array<string>(origins.length).fill(''))[index] = origin.requestId;
    if (origin.traceparent) (traceparents ??= new Array<string>(origins.length).fill(''))[index] = origin.traceparent;
    if (origin.tracestate) (tracestates ??= new Array<string>(origins.length).fill(''))[index] = origin.tracestate;
  }
  if (!requestIds && !traceparents) return null;
  const headers: Record<string, string[]> = {};
  if (requestIds) headers[REQUEST_ID_HEADER] = requestIds;
  if (traceparents) headers[TRACEPARENT_HEADER] = traceparents;
  if (tracestates) headers[TRACESTATE_HEADER] = tracestates;
  return JSON.stringify(headers);
}

/** Adds the stored headers of an outbox row (outboxHeadersOf) to a message's headers. */
export function appendOutboxHeaders(target: MsgHdrs, stored: string | null | undefined): void {
  if (!stored) return;
  const headers = JSON.parse(stored) as Record<string, string[]>;
  for (const [name, values] of Object.entries(headers)) for (const value of values) target.append(name, value);
}

/** The stored trace contexts of an outbox row's events, in order (undefined where an event has none). */
export function storedTraceContexts(stored: string | null | undefined): Array<Context | undefined> {
  if (!stored) return [];
  const headers = JSON.parse(stored) as Record<string, string[]>;
  const states = headers[TRACESTATE_HEADER] ?? [];
  return (headers[TRACEPARENT_HEADER] ?? []).map((traceparent, index) => contextFromTraceHeaders(traceparent || undefined, states[index] || undefined));
}

/**
 * The origin of each of a message's `count` events, as its headers say: the request id (when sound) and trace
 * context of event `index`. Headers whose number of values is not the number of events name none of them.
 */
export function eventOrigins(headers: MsgHdrs | undefined, count: number): Array<{ requestId?: string; trace?: Context }> {
  const ids = headers?.values(REQUEST_ID_HEADER) ?? [];
  const parents = headers?.values(TRACEPARENT_HEADER) ?? [];
  const states = headers?.values(TRACESTATE_HEADER) ?? [];
  return Array.from({ length: count }, (_, index) => ({
    requestId: ids.length === count ? acceptableRequestId(ids[index]) : undefined,
    trace: parents.length === count ? contextFromTraceHeaders(parents[index] || undefined, states.length === count ? states[index] || undefined : undefined) : undefined,
  }));
}
