import { createParamDecorator, ExecutionContext, Logger } from '@nestjs/common';
import { MessageHandler, NatsContext, ServerNats } from '@nestjs/microservices';
import type { Msg, MsgHdrs } from 'nats';
import { throwError } from 'rxjs';
import { callersOf, inboxPrefix, isRpcSubject, problemOf, RPC_SCHEMAS, RpcErrorBody } from '@keymint/contracts';
import { contextOf, endSpan, logFieldsOf, RequestContext, SpanKind, startSpan } from '@keymint/telemetry';
import { contextFromHeaders } from './context-headers';

/**
 * What an RPC handler is given besides its payload (Nest's `@Ctx()`): Nest's NATS context, and the caller's
 * request (`origin`: its id, and the handler's span under the caller's while tracing is on), which the handler
 * passes to what it asks, writes or logs.
 */
export class RpcCall extends NatsContext {
  constructor(
    args: [string, MsgHdrs | undefined],
    readonly origin: RequestContext,
  ) {
    super(args);
  }
}

/** An RPC handler's parameter: the caller's request (RpcCall.origin). */
export const CallerRequestContext = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext | undefined => {
  const call = context.switchToRpc().getContext<unknown>();
  return call instanceof RpcCall ? call.origin : undefined;
});

/**
 * Nest's NATS transport, answering only into the inbox of a service allowed
 * to call the subject. A requester chooses the reply subject, and the NATS
 * server lets whoever received a request publish its answer there
 * (`allow_responses`) whatever the subject: asked with a reply subject such
 * as `$JS.API.STREAM.PURGE.TOKENS`, the answer would purge a stream with this
 * service's rights. So a request whose reply subject is not under the inbox
 * prefix of one of the subject's callers (bus-access.ts) gets no answer.
 *
 * Every request is also checked against its subject's request schema
 * (RPC_SCHEMAS) before the handler runs: what fails it is answered with an
 * `invalid_request` error naming the field, so handlers get typed payloads.
 */
export class CallerOnlyNatsServer extends ServerNats {
  private readonly rpcLogger = new Logger('RpcServer');

  override async handleMessage(channel: string, natsMsg: Msg): Promise<unknown> {
    if (natsMsg.reply !== undefined && natsMsg.reply !== '' && !isCallerInbox(channel, natsMsg.reply)) {
      this.rpcLogger.warn(`ignored a ${channel} request whose reply subject is no caller's inbox: ${natsMsg.reply.slice(0, 120)}`);
      return undefined;
    }
    return super.handleMessage(channel, natsMsg);
  }

  /**
   * Where Nest registers each `@MessagePattern`: the handler is wrapped in its subject's request check, and is
   * given the caller's request (RpcCall) and, while tracing is on, a span under the caller's.
   */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: Record<string, unknown>): void {
    const subject = this.normalizePattern(pattern as string);
    // A subject without a schema would be a handler nothing checks: refused when the service starts.
    if (!isRpcSubject(subject)) throw new Error(`no request schema for ${subject}: add it to RPC_SCHEMAS (@keymint/contracts)`);
    super.addHandler(pattern, this.inCallerRequest(subject, checkingRequests(subject, callback)), isEventHandler, extras);
  }

  /**
   * `handler`, given the caller's request: its id (a new one when the call carries no sound X-Request-Id) and a span
   * under the caller's. One `rpc` line per call, with the caller's request id.
   */
  private inCallerRequest(subject: string, handler: MessageHandler): MessageHandler {
    return async (data: unknown, context?: unknown) => {
      const nats = context instanceof NatsContext ? context : undefined;
      const caller = contextFromHeaders(nats?.getHeaders());
      const span = startSpan(subject, { kind: SpanKind.SERVER, parent: caller.trace, attributes: { 'messaging.system': 'nats', 'rpc.method': subject } });
      const origin: RequestContext = span ? { requestId: caller.requestId, trace: contextOf(span, caller.trace) } : { requestId: caller.requestId };
      const started = process.hrtime.bigint();
      try {
        return await handler(data, new RpcCall([nats?.getSubject() ?? subject, nats?.getHeaders()], origin));
      } finally {
        endSpan(span);
        this.rpcLogger.log({ msg: 'rpc', subject, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3, ...logFieldsOf(origin) });
      }
    };
  }
}

/** `handler`, called only with requests its subject's schema accepts; others get the error body `rpcFailure` would send. */
function checkingRequests(subject: keyof typeof RPC_SCHEMAS, handler: MessageHandler): MessageHandler {
  const schema = RPC_SCHEMAS[subject].request;
  return async (data: unknown, context?: unknown) => {
    const checked = schema.safeParse(data);
    if (checked.success) return handler(data, context);
    const body: RpcErrorBody = { code: 'invalid_request', message: problemOf(checked.error) };
    return throwError(() => body);
  };
}

/** Whether `reply` is under the inbox of a user whose role calls `subject`. */
export function isCallerInbox(subject: string, reply: string): boolean {
  return callersOf(subject).some((user) => reply.startsWith(`${inboxPrefix(user)}.`));
}
