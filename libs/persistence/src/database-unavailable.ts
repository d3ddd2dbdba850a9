/**
 * Whether an error means the database cannot be reached right now (down, restarting, recovering from a crash,
 * out of connections), as opposed to a query that failed: such a request may succeed a moment later, so the
 * services answer it 503 with Retry-After (and `unavailable` over RPC) rather than 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // TypeORM wraps the driver's error (QueryFailedError.driverError); pg may chain one as `cause`.
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
    // Only an error without a code of its own: PostgreSQL repeats input in some messages (`invalid input syntax for
    // type bigint: "Connection terminated"`), which must stay the error it is.
    if (code === undefined && typeof message === 'string' && LOST_CONNECTION_MESSAGES.some((text) => message.includes(text))) return true;
    current = (current as { driverError?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

const UNREACHABLE_CODES = new Set([
  // The server's address refuses, resets or does not answer.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL's SQLSTATEs (class 08, connection exception, is matched by its prefix): query_canceled (a statement
  // past the serving connections' statement_timeout, POSTGRES_STATEMENT_TIMEOUT_MS: the server too slow right now, or
  // an administrator's cancel), admin_shutdown (also an immediate stop), crash_shutdown, cannot_connect_now (starting
  // up, recovering), too_many_connections.
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

// node-postgres says these without a code: the server went away in the middle of a query, left a statement
// unanswered past the answer timeout (POSTGRES_ANSWER_TIMEOUT_MS), or the pool gave up.
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
];
