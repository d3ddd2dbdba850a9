import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestContext, requestIdOf } from '@keymint/telemetry';

/**
 * The request context of each HTTP request (its id, and its span's context while tracing is on), set when it
 * arrives (bootstrapService's `onRequest` hook) and read by what handles it: `@CurrentRequestContext()` in a
 * controller, `requestContextOf(request)` elsewhere. Passed on by hand from there (libs/telemetry,
 * request-context.ts): nothing keeps it for the code that runs later.
 */
const contexts = new WeakMap<object, RequestContext>();

/** Gives `request` its context (bootstrapService, once per request). */
export function attachRequestContext(request: FastifyRequest, context: RequestContext): void {
  contexts.set(request, context);
}

/**
 * The context of `request`. A request that came in without one (a handler called without the service's hooks, in
 * a test) gets one of its own, named by its X-Request-Id when sound.
 */
export function requestContextOf(request: FastifyRequest): RequestContext {
  let context = contexts.get(request);
  if (!context) {
    context = { requestId: requestIdOf(request.headers?.['x-request-id']) };
    contexts.set(request, context);
  }
  return context;
}

/** A controller parameter: the context of the HTTP request being handled (pass it to what makes RPCs, events or log lines). */
export const CurrentRequestContext = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext => {
  return requestContextOf(context.switchToHttp().getRequest<FastifyRequest>());
});
