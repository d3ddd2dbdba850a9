import { ClientNats, NatsRecordBuilder, RpcException } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { isRpcErrorBody, problemOf, RPC_SCHEMAS, RpcErrorBody, RpcErrorCode, RpcRequest, RpcResponse, RpcSubject } from '@keymint/contracts';
import { contextOf, endSpan, RequestContext, SpanKind, startSpan } from '@keymint/telemetry';
import { contextHeaders } from './context-headers';

/** A failed RPC as the caller sees it: a code it can switch on and a message safe to show. */
export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * An answer that is not what the subject's response schema says: the other
 * service has a bug (or is not who it should be), and its answer is not used.
 */
export class MalformedResponseError extends RpcError {
  constructor(subject: RpcSubject, problem: string) {
    super('internal', `${subject} answered a malformed response: ${problem}`);
    this.name = 'MalformedResponseError';
  }
}

/** Thrown by an `@MessagePattern` handler to send a typed error back over the bus. */
export function rpcFailure(code: RpcErrorCode, message: string): RpcException {
  const body: RpcErrorBody = { code, message };
  return new RpcException(body);
}

/**
 * Typed request/reply over core NATS (Nest's NATS transport on the other side).
 * Every call has a timeout; a call never hangs. The answer is checked against
 * the subject's response schema (RPC_SCHEMAS): what fails it is thrown as a
 * MalformedResponseError, never returned.
 */
export class RpcClient {
  constructor(
    private readonly client: ClientNats,
    private readonly timeoutMs: number,
  ) {}

  /**
   * `origin`: the request this call is made for, whose id and trace travel in the call's headers (docs/operations.md,
   * "Logs"); none for work of the service's own (a timer's), which the other side gives an id of its own.
   */
  async request<S extends RpcSubject>(subject: S, payload: RpcRequest<S>, origin?: RequestContext, timeoutMs = this.timeoutMs): Promise<RpcResponse<S>> {
    const request = origin;
    const span = startSpan(subject, { kind: SpanKind.CLIENT, parent: request?.trace, attributes: { 'messaging.system': 'nats', 'rpc.method': subject } });
    const record = new NatsRecordBuilder(payload).setHeaders(contextHeaders(request?.requestId, span ? contextOf(span, request?.trace) : undefined)).build();
    let answer: unknown;
    try {
      answer = await firstValueFrom(this.client.send<unknown, unknown>(subject, record).pipe(timeout(timeoutMs)));
    } catch (error) {
      const failure = toRpcError(error, subject);
      endSpan(span, failure);
      throw failure;
    }
    endSpan(span);
    const checked = RPC_SCHEMAS[subject].response.safeParse(answer);
    if (!checked.success) throw new MalformedResponseError(subject, problemOf(checked.error));
    // The answer as it came (the schemas only check): a field the schema does not name is kept.
    return answer as RpcResponse<S>;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function toRpcError(error: unknown, subject: string): RpcError {
  if (error instanceof TimeoutError) return new RpcError('timeout', `${subject} did not answer in time`);
  if (isRpcErrorBody(error)) return new RpcError(error.code, error.message);
  const message = error instanceof Error ? error.message : JSON.stringify(error);
  // No responders / connection closed: the other service or the bus is down.
  if (/503|no responders|no subscribers|Empty response|CONNECTION_CLOSED|disconnect|closed|refused/i.test(message)) {
    return new RpcError('unavailable', `${subject} is unavailable`);
  }
  return new RpcError('internal', `${subject} failed: ${message}`);
}
