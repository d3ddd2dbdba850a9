import { Attributes, Context, Link, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set and off otherwise. Off, nothing here
 * creates an object: `startSpan` answers undefined and callers skip their
 * tracing. The spans are made by hand at the few places work crosses a
 * boundary (an HTTP request, an RPC on either side, the outbox relay's
 * publish, a consumer's apply) rather than by auto-instrumentation, which
 * patches every module it knows and would trace each SQL statement and
 * promise of the token path.
 *
 * The exporter and the sampler read the standard variables themselves
 * (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG,
 * …). Each service's spans name it as `service.name`.
 */
let provider: BasicTracerProvider | undefined;
let tracer: Tracer | undefined;
const propagator = new W3CTraceContextPropagator();

/** Turns tracing on when `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) is set; true if it did. */
export function startTracing(service: string, endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_EXPORTER_OTLP_* variables) itself.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  tracer = provider.getTracer('keymint');
  return true;
}

/** Sends what is still buffered; on shutdown. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  tracer = undefined;
  await stopping?.shutdown();
}

export function tracingIsOn(): boolean {
  return tracer !== undefined;
}

export interface SpanOptions {
  kind: SpanKind;
  /** The context the span is a child of; none: a new trace. */
  parent?: Context;
  attributes?: Attributes;
  links?: Link[];
  startTime?: number;
}

/** A started span, or undefined while tracing is off. */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (!tracer) return undefined;
  return tracer.startSpan(name, { kind: options.kind, attributes: options.attributes, links: options.links, startTime: options.startTime }, options.parent ?? ROOT_CONTEXT);
}

/** The context in which `span` is the current one (what children and headers are made from). */
export function contextOf(span: Span, parent: Context = ROOT_CONTEXT): Context {
  return trace.setSpan(parent, span);
}

/** Ends a span, marked failed when `error` is given. */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return;
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/** W3C trace context headers (`traceparent`, `tracestate`) for `context`. */
export function traceHeadersOf(context: Context): { traceparent?: string; tracestate?: string } {
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagator.inject(context, carrier, { set: (target, key, value) => ((target as Record<string, string>)[key] = value) });
  return carrier;
}

/** The remote context named by W3C trace context headers, or undefined when they name none (absent or malformed). */
export function contextFromTraceHeaders(traceparent: string | undefined, tracestate?: string): Context | undefined {
  if (!traceparent) return undefined;
  const carrier: Record<string, string> = tracestate ? { traceparent, tracestate } : { traceparent };
  const context = propagator.extract(ROOT_CONTEXT, carrier, { get: (target, key) => (target as Record<string, string>)[key], keys: (target) => Object.keys(target as object) });
  return trace.getSpanContext(context) ? context : undefined;
}

/** A link to the span `context` names, for a span that has several origins (a pack of events). */
export function linkTo(context: Context): Link | undefined {
  const spanContext = trace.getSpanContext(context);
  return spanContext ? { context: spanContext } : undefined;
}

/** The trace and span ids a log line names, so that a line leads to its trace. */
export function traceIdsOf(context: Context): { traceId?: string; spanId?: string } {
  const spanContext = trace.getSpanContext(context);
  return spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {};
}

export { SpanKind };
export type { Context, Span };
