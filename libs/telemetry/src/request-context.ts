import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';

/**
 * What travels with one piece of work (an HTTP request, an RPC it causes, an
 * event it writes): its request id and, when tracing is on, the OpenTelemetry
 * context of its current span. It is passed by hand, as an argument or a field
 * of what the work carries anyway (the token request, an event's origin), never
 * kept in an AsyncLocalStorage: on Node 20 one entered AsyncLocalStorage runs a
 * promise hook for every promise of the process (docs/performance.md). The RPCs
 * and events given it carry both in their NATS headers; log lines given it
 * (`logFieldsOf`) carry the request id.
 */
export interface RequestContext {
  readonly requestId: string;
  /** The current span's context; undefined while tracing is off. */
  readonly trace?: Context;
}

/** The header that names a request, over HTTP and in NATS headers. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * What a request id given by a caller may be: what proxies and load balancers generate (UUIDs, hex, base64,
 * dotted or colon-separated ids), bounded. Nothing else is taken: the id is written into every log line of the
 * request and into NATS headers, where a line break would forge a log line or a header and a megabyte would be
 * copied into each of them.
 */
const ACCEPTABLE_REQUEST_ID = new RegExp(`^[A-Za-z0-9._~:+/=@-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/** `value` when it is an acceptable request id, else undefined. */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && ACCEPTABLE_REQUEST_ID.test(value) ? value : undefined;
}

/** The caller's request id when acceptable, else a new one (a UUID). */
export function requestIdOf(given: unknown): string {
  return acceptableRequestId(given) ?? randomUUID();
}
