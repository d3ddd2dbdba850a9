import { Logger } from '@nestjs/common';
import { MessageHandler, ServerNats } from '@nestjs/microservices';
import type { Msg } from 'nats';
import { throwError } from 'rxjs';
import { callersOf, inboxPrefix, isRpcSubject, problemOf, RPC_SCHEMAS, RpcErrorBody } from '@keymint/contracts';
import { contextOf, endSpan, runInRequest, SpanKind, startSpan } from '@keymint/telemetry';
import { contextFromHeaders } from './context-headers';

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
    // The handler runs in the caller's request (its request id, a span under the caller's): its log lines and what it
    // asks or writes carry it on. A request without a sound X-Request-Id gets a new one.
    const caller = contextFromHeaders(natsMsg.headers);
    const span = startSpan(channel, { kind: SpanKind.SERVER, parent: caller.trace, attributes: { 'messaging.system': 'nats', 'rpc.method': channel } });
    const started = process.hrtime.bigint();
    return runInRequest({ requestId: caller.requestId, trace: span ? contextOf(span, caller.trace) : undefined }, async () => {
      try {
        return await super.handleMessage(channel, natsMsg);
      } finally {
        endSpan(span);
        this.rpcLogger.log({ msg: 'rpc', subject: channel, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3 });
      }
    });
  }

  /** Where Nest registers each `@MessagePattern`: the handler is wrapped in its subject's request check. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler?: boolean, extras?: Record<string, unknown>): void {
    const subject = this.normalizePattern(pattern as string);
    // A subject without a schema would be a handler nothing checks: refused when the service starts.
    if (!isRpcSubject(subject)) throw new Error(`no request schema for ${subject}: add it to RPC_SCHEMAS (@keymint/contracts)`);
    super.addHandler(pattern, checkingRequests(subject, callback), isEventHandler, extras);
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
