import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { isRpcErrorBody } from '@keymint/contracts';
import { RpcCall } from '@keymint/messaging';
import { isDatabaseUnavailable } from '@keymint/persistence';
import { logFieldsOf, RequestContext } from '@keymint/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, throwError } from 'rxjs';
import { requestContextOf } from './request-context';

/** Bodies larger than this get 413 (docs/token-api.md, "Errors"). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The two error shapes keymint speaks: RFC 6749 §5.2 on the token service,
 * WSO2's `{code, message, description}` on the REST APIs.
 */
export type ErrorStyle = 'oauth2' | 'wso2';

/** An HttpException that also sets response headers (WWW-Authenticate, Retry-After). */
export class HttpErrorWithHeaders extends HttpException {
  constructor(
    body: Record<string, unknown>,
    status: number,
    readonly headers: Record<string, string>,
  ) {
    super(body, status);
  }
}

const OAUTH2_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_client',
  403: 'access_denied',
  404: 'not_found',
  405: 'invalid_request',
  413: 'invalid_request',
  415: 'invalid_request',
  429: 'too_many_requests',
  503: 'temporarily_unavailable',
};

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The body for a status and a human description, in the service's style. */
export function errorBody(style: ErrorStyle, status: number, description: string): Record<string, unknown> {
  if (style === 'oauth2') {
    return { error: OAUTH2_CODES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request'), error_description: description };
  }
  return { code: status, message: REASONS[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error'), description };
}

/**
 * How long a client should wait before it asks the same replica again while the database cannot be reached (a
 * crashed PostgreSQL is back in seconds); the same as the token API's other 503s.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Turns anything thrown into the documented JSON: a database that cannot be reached right now (down,
 * restarting) is a 503 with Retry-After, and `unavailable` over RPC; other unexpected errors become a 500 with
 * no internals.
 */
export function createErrorFilter(style: ErrorStyle): ExceptionFilter {
  const logger = new Logger('ErrorFilter');
  // A body already in the service's style passes through untouched.
  const styleKey = style === 'oauth2' ? 'error_description' : 'description';

  @Catch()
  class StyledErrorFilter implements ExceptionFilter {
    catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
      // RPC handlers (inherited by the NATS microservice): rethrowing here would leave the caller waiting for its timeout.
      if (host.getType() === 'rpc') {
        return throwError(() => rpcErrorBody(exception, () => callerOf(host)));
      }
      if (host.getType() !== 'http') throw exception;
      const reply = host.switchToHttp().getResponse<FastifyReply>();
      const { status, body, headers } = describe(exception, () => requestContextOf(host.switchToHttp().getRequest<FastifyRequest>()));
      if (headers) reply.headers(headers);
      void reply.status(status).send(body);
    }
  }

  /** `request`: the failed request, which the lines logged here name. */
  function describe(exception: unknown, request: () => RequestContext): { status: number; body: unknown; headers?: Record<string, string> } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const headers = exception instanceof HttpErrorWithHeaders ? exception.headers : undefined;
      if (typeof response === 'object' && response !== null && styleKey in response) return { status, body: response, headers };
      return { status, body: errorBody(style, status, describeHttpException(exception)), headers };
    }
    // Errors raised by Fastify before a handler runs: body too large, malformed JSON, …
    const frameworkStatus = (exception as { statusCode?: number })?.statusCode;
    if (typeof frameworkStatus === 'number' && frameworkStatus >= 400 && frameworkStatus < 500) {
      const description =
        frameworkStatus === 413
          ? `The request body is larger than ${BODY_LIMIT_BYTES} bytes.`
          : `The request could not be parsed: ${(exception as Error).message}`;
      return { status: frameworkStatus, body: errorBody(style, frameworkStatus, description) };
    }
    if (isDatabaseUnavailable(exception)) {
      logger.warn({ msg: 'database unavailable', err: exception, ...logFieldsOf(request()) });
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: errorBody(style, 503, 'The database cannot be reached right now; try again shortly.'),
        headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      };
    }
    // The error as an object (type, message, stack, its own fields): the logger redacts what a store error carries.
    logger.error({ msg: 'unexpected error', err: exception, ...logFieldsOf(request()) });
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: errorBody(style, 500, 'The server could not handle the request.') };
  }

  return new StyledErrorFilter();
}

/** What an RPC caller receives: the body of `rpcFailure(…)` (or a plain `{code, message}`), else a generic `internal`. */
function rpcErrorBody(exception: unknown, caller: () => RequestContext | undefined): { code: string; message: string } {
  const error = exception instanceof RpcException ? exception.getError() : exception;
  if (!(error instanceof Error) && isRpcErrorBody(error)) return { code: error.code, message: error.message };
  // The caller answers its own client 503 (as for a peer that does not answer), not 500.
  if (isDatabaseUnavailable(error)) return { code: 'unavailable', message: 'The database cannot be reached right now.' };
  new Logger('ErrorFilter').error({ msg: 'unexpected RPC error', err: exception, ...logFieldsOf(caller()) });
  return { code: 'internal', message: 'The service could not handle the request.' };
}

/** The caller's request of a failed RPC handler (RpcCall). */
function callerOf(host: ArgumentsHost): RequestContext | undefined {
  const call = host.switchToRpc().getContext<unknown>();
  return call instanceof RpcCall ? call.origin : undefined;
}

function describeHttpException(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}
