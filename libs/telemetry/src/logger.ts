import type { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import type { RequestContext } from './request-context';
import { traceIdsOf } from './tracing';

/** pino's level names, the ones log tools expect (Nest's `log` is `info`, its `verbose` is `trace`). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object per line (log pipelines); `pretty`: one readable line (a terminal). */
export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when set, else readable on a terminal and JSON everywhere else (compose, CI, a file, a pipe). */
export function logFormatOf(setting: LogFormat | undefined, isTerminal: boolean): LogFormat {
  return setting ?? (isTerminal ? 'pretty' : 'json');
}

/**
 * Where secrets would be if a log line ever carried a request, its headers,
 * its form or an error from the store: replaced by "[Redacted]" whatever
 * they hold. Paths, not patterns: pino's redaction is compiled for them, and
 * wildcard paths cost ~40 µs a line (measured), which the access log would pay
 * on every request.
 */
const SECRET_HEADERS = ['authorization', '["proxy-authorization"]', 'cookie', '["set-cookie"]', 'dpop'];
const SECRET_FIELDS = [
  'client_secret',
  'client_assertion',
  'assertion',
  'password',
  'refresh_token',
  'access_token',
  'token',
  'consumerSecret',
  'accessToken',
  'refreshToken',
];
const pathOf = (parent: string, key: string) => (key.startsWith('[') ? `${parent}${key}` : `${parent}.${key}`);
export const REDACTED_PATHS: readonly string[] = [
  ...['headers', 'request.headers', 'req.headers'].flatMap((parent) => SECRET_HEADERS.map((key) => pathOf(parent, key))),
  ...['body', 'request.body', 'req.body', 'form', 'payload'].flatMap((parent) => SECRET_FIELDS.map((key) => pathOf(parent, key))),
  ...SECRET_FIELDS,
  // What a store driver's error carries besides its message: the statement's values (token hashes, secrets' hashes).
  'err.parameters',
  'err.driverError',
  'err.query',
];

/** Nest's own start-up chatter (modules loaded, routes mapped): `debug`, so that `info` is what an operator reads. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'NestMicroservice']);

export interface LoggerSettings {
  service: string;
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; default: this process's stdout, one write per turn of the event loop. */
  output?: LineOutput;
}

export interface LineOutput {
  write(line: string): void;
}

/** The service's loggers: `app` for everything (Nest's logger, errors), `access` for the one line per HTTP request. */
export interface ServiceLoggers {
  app: Logger;
  /** Without redaction (the access log writes fixed fields only): it is on every request. */
  access: Logger;
}

export function createLoggers(settings: LoggerSettings): ServiceLoggers {
  const output = settings.output ?? new TurnBatchedOutput(process.stdout, settings.format === 'pretty' ? prettyLine(process.stdout.isTTY === true) : undefined);
  const common: pino.LoggerOptions = {
    level: settings.level,
    base: { pid: process.pid, service: settings.service },
    formatters: { level: (label) => ({ level: label }) },
  };
  const app = pino(
    {
      ...common,
      redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
      serializers: { err: loggedError },
    },
    output,
  );
  return { app, access: pino(common, output) };
}

/**
 * The fields that name the request a line is written for: its `requestId` and, while tracing is on, its `traceId`
 * and `spanId`. Spread into a logged object (`logger.warn({ msg, ...logFieldsOf(request) })`); nothing when there
 * is no request.
 */
export function logFieldsOf(request: RequestContext | undefined): { requestId?: string; traceId?: string; spanId?: string } {
  if (!request) return {};
  return request.trace ? { requestId: request.requestId, ...traceIdsOf(request.trace) } : { requestId: request.requestId };
}

/**
 * What a logged error keeps: its type, message, code and stack (and its cause's, the same way). Not its other
 * fields: a store driver's error copies the row it refused into them (PostgreSQL's `detail`: "Key (username)=(…)",
 * "Failing row contains (…)"; `where`, `internalQuery`), which no redaction path can know in advance.
 */
export function loggedError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const { code } = error as { code?: unknown };
  const cause = (error as { cause?: unknown }).cause;
  return {
    type: error.constructor?.name ?? 'Error',
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    stack: error.stack,
    ...(cause instanceof Error && depth < 3 ? { cause: loggedError(cause, depth + 1) } : {}),
  };
}

/**
 * Lines are written once per turn of the event loop rather than one write
 * (a system call) per line: under load the access log's per-request write
 * was ~5% of the token path's CPU. A fatal line, and what is left at exit,
 * are written at once.
 */
export class TurnBatchedOutput implements LineOutput {
  private lines: string[] = [];
  private flushScheduled = false;

  constructor(
    private readonly stream: { write(text: string): unknown },
    private readonly format?: (line: string) => string,
  ) {
    process.once('exit', () => this.flush());
  }

  write(line: string): void {
    this.lines.push(this.format ? this.format(line) : line);
    if (line.startsWith('{"level":"fatal"')) return this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.stream.write(text);
  }
}

const LEVEL_COLORS: Record<string, string> = { fatal: '\x1b[41m', error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[90m', trace: '\x1b[90m' };
/** Fields shown in the line's head, not repeated after the message. */
const HEAD_FIELDS = new Set(['level', 'time', 'pid', 'service', 'context', 'msg', 'err', 'stack']);

/**
 * One JSON line as one readable line: `12:04:05.123 INFO  token-service NatsClient: connected … requestId=…`,
 * an error's stack indented below it. Control characters are escaped, so what a line carries cannot
 * start a line of its own or move the terminal's cursor.
 */
export function prettyLine(colors: boolean): (json: string) => string {
  return (json) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(json) as Record<string, unknown>;
    } catch {
      return json;
    }
    const level = String(entry.level);
    const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
    const label = level.toUpperCase().padEnd(5);
    const head = colors ? `${LEVEL_COLORS[level] ?? ''}${label}\x1b[0m` : label;
    const context = entry.context === undefined ? '' : `${safe(String(entry.context))}: `;
    const message = entry.msg === undefined ? '' : safe(String(entry.msg));
    const fields = Object.entries(entry)
      .filter(([key]) => !HEAD_FIELDS.has(key))
      .map(([key, value]) => `${safe(key)}=${typeof value === 'string' ? safe(value) : JSON.stringify(value)}`);
    const stack = (entry.err as { stack?: unknown } | undefined)?.stack ?? entry.stack;
    const below = typeof stack === 'string' ? `\n${stack.split('\n').map((line) => `    ${safe(line)}`).join('\n')}` : '';
    return `${time} ${head} ${safe(String(entry.service ?? ''))} ${context}${message}${fields.length ? ` ${fields.join(' ')}` : ''}${below}\n`;
  };
}

function safe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Nest's LoggerService on pino: every `Logger` of every service writes through it, with the
 * Logger's context as `context`, Nest's `log` as `info` and `verbose` as `trace`.
 */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    // Nest passes the Logger's context last, and for errors a stack before it.
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    const stack = level === 'error' && params.length === 2 && typeof params[0] === 'string' ? params[0] : undefined;
    if (level === 'info' && context !== undefined && FRAMEWORK_CONTEXTS.has(context)) level = 'debug';
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    if (stack !== undefined) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
