import { ClientNats, RpcException } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { isRpcErrorBody, RpcErrorBody, RpcErrorCode, RpcRequest, RpcResponse, RpcSubject } from '@keymint/contracts';

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

/** Thrown by an `@MessagePattern` handler to send a typed error back over the bus. */
export function rpcFailure(code: RpcErrorCode, message: string): RpcException {
  const body: RpcErrorBody = { code, message };
  return new RpcException(body);
}

/**
 * Typed request/reply over core NATS (Nest's NATS transport on the other side).
 * Every call has a timeout; a call never hangs.
 */
export class RpcClient {
  constructor(
    private readonly client: ClientNats,
    private readonly timeoutMs: number,
  ) {}

  async request<S extends RpcSubject>(subject: S, payload: RpcRequest<S>, timeoutMs = this.timeoutMs): Promise<RpcResponse<S>> {
    try {
      return await firstValueFrom(this.client.send<RpcResponse<S>, RpcRequest<S>>(subject, payload).pipe(timeout(timeoutMs)));
    } catch (error) {
      throw toRpcError(error, subject);
    }
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
