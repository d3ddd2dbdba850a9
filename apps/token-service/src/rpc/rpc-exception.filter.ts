import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { RpcErrorBody } from '@keymint/contracts';

/**
 * Sends RPC failures back over the bus as `{code, message}`. The global HTTP
 * error filter rethrows non-HTTP exceptions, which would crash the process
 * from inside an RPC handler; this filter takes them first.
 */
@Catch()
export class RpcFailureFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger(RpcFailureFilter.name);

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof RpcException) return throwError(() => exception.getError());
    this.logger.error(`unexpected RPC error: ${(exception as Error)?.stack ?? String(exception)}`);
    const body: RpcErrorBody = { code: 'internal', message: 'The token service could not handle the request.' };
    return throwError(() => body);
  }
}
