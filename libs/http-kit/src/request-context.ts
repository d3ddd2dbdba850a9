import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestContext, requestIdOf, Span } from '@keymint/telemetry';

/**
 * The request context of each HTTP request (its id, and its span's context while tracing is on), set when it
 * arrives (bootstrapService's `onRequest` hook) and read by what handles it: `@CurrentRequestContext()` in a
 * controller, `requestContextOf(request)` elsewhere. Passed on by hand from there (libs/telemetry,
 * request-context.ts): nothing keeps it for the code that runs later.
 */
const states = new WeakMap<object, RequestState>();

/** What the service keeps about a request between its arrival and its answer: one record, one map entry. */
export interface RequestState {
  context: RequestContext;
  /** process.hrtime.bigint() when it arrived (its duration, in the access line and the metrics). */
  started: bigint;
  /** Its server span, while tracing is on. */
  span?: Span;
}

/** Gives `request` its state (bootstrapService, once per request). */
export function attachRequestState(request: FastifyRequest, state: RequestState): void {
  states.set(request, state);
}

/** The state bootstrapService gave `request`; undefined for a request that did not pass its hooks. */
export function requestStateOf(request: FastifyRequest): RequestState | undefined {
  return states.get(request);
}

/**
 * The context of `request`. A request that came in without one (a handler called without the service's hooks, in
 * a test) gets one of its own, named by its X-Request-Id when sound.
 */
export function requestContextOf(request: FastifyRequest): RequestContext {
  let state = states.get(request);
  if (!state) {
    state = { context: { requestId: requestIdOf(request.headers?.['x-request-id']) }, started: process.hrtime.bigint() };
    states.set(request, state);
  }
  return state.context;
}

/** A controller parameter: the context of the HTTP request being handled (pass it to what makes RPCs, events or log lines). */
export const CurrentRequestContext = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext => {
  return requestContextOf(context.switchToHttp().getRequest<FastifyRequest>());
});
