import { Logger } from '@nestjs/common';
import { createLoggers, logFieldsOf, logFormatOf, NestLogger, prettyLine, TurnBatchedOutput } from './logger';

/** The loggers of a service whose lines land in `lines` (one JSON object each). */
function capture(level: 'info' | 'debug' | 'trace' = 'info') {
  const lines: string[] = [];
  const loggers = createLoggers({ service: 'token-service', level, format: 'json', output: { write: (line) => lines.push(line) } });
  return { loggers, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logs', () => {
  it("use pino's level names and the service's name, Nest's log being info and verbose trace", () => {
    const { loggers, entries } = capture('trace');
    const nest = new NestLogger(loggers.app);
    nest.log('started', 'NatsClient');
    nest.verbose('details', 'NatsClient');
    nest.warn('careful', 'OutboxRelay');
    nest.error('failed', 'Error: failed\n    at here', 'ErrorFilter');
    expect(entries()).toEqual([
      { level: 'info', time: expect.any(Number), pid: process.pid, service: 'token-service', context: 'NatsClient', msg: 'started' },
      { level: 'trace', time: expect.any(Number), pid: process.pid, service: 'token-service', context: 'NatsClient', msg: 'details' },
      { level: 'warn', time: expect.any(Number), pid: process.pid, service: 'token-service', context: 'OutboxRelay', msg: 'careful' },
      {
        level: 'error',
        time: expect.any(Number),
        pid: process.pid,
        service: 'token-service',
        context: 'ErrorFilter',
        stack: 'Error: failed\n    at here',
        msg: 'failed',
      },
    ]);
  });

  it("leave out Nest's start-up chatter (modules, routes) at info, and what LOG_LEVEL leaves out", () => {
    const { loggers, entries } = capture('info');
    const nest = new NestLogger(loggers.app);
    nest.log('Mapped {/token, POST} route', 'RouterExplorer');
    nest.debug('a detail', 'ClientCache');
    nest.log('ready');
    expect(entries().map((entry) => entry.msg)).toEqual(['ready']);
  });

  it('name the request a line is written for', () => {
    const { loggers, entries } = capture();
    const nest = new NestLogger(loggers.app);
    nest.warn({ msg: 'a client record was malformed', ...logFieldsOf({ requestId: 'req-42' }) }, 'ClientCache');
    nest.log('not in a request');
    expect(entries().map((entry) => entry.requestId)).toEqual(['req-42', undefined]);
  });

  it('never write a secret of a logged request or store error', () => {
    const secrets = ['Basic c2VjcmV0OnNlY3JldA==', 'the-client-secret', 'the-user-password', 'eyJhbGciOiJFUzI1NiJ9.assertion', 'the-refresh-token', 'the-access-token', 'sid=cookie', 'the-refused-row'];
    const { loggers, lines } = capture();
    const storeError = Object.assign(new Error('duplicate key'), {
      parameters: ['the-client-secret'],
      query: 'INSERT … the-access-token',
      // What PostgreSQL's errors carry besides the message: the refused row.
      detail: 'Failing row contains (the-refused-row)',
      where: 'the-refused-row',
      code: '23505',
    });
    new NestLogger(loggers.app).error(
      {
        msg: 'unexpected error',
        err: storeError,
        request: {
          method: 'POST',
          headers: { authorization: secrets[0], cookie: secrets[6], 'proxy-authorization': secrets[0] },
          body: { grant_type: 'password', client_secret: secrets[1], password: secrets[2], client_assertion: secrets[3], refresh_token: secrets[4], token: secrets[5] },
        },
      },
      'ErrorFilter',
    );
    const text = lines.join('');
    expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
    // Still a useful line: what was asked, and that something was there.
    expect(text).toContain('"grant_type":"password"');
    expect(text).toContain('"authorization":"[Redacted]"');
    expect(text).toContain('duplicate key');
    expect(text).toContain('"code":"23505"');
  });

  it('are JSON off a terminal and readable on one, unless LOG_FORMAT says', () => {
    expect(logFormatOf(undefined, true)).toBe('pretty');
    expect(logFormatOf(undefined, false)).toBe('json');
    expect(logFormatOf('json', true)).toBe('json');
    expect(logFormatOf('pretty', false)).toBe('pretty');
  });
});

describe('readable lines (LOG_FORMAT=pretty)', () => {
  const line = (entry: Record<string, unknown>) => prettyLine(false)(JSON.stringify({ level: 'info', time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), pid: 1, service: 'token-service', ...entry }));

  it('show time, level, service, context and message, then the other fields', () => {
    expect(line({ context: 'NatsClient', msg: 'connected' })).toBe('03:04:05.678 INFO  token-service NatsClient: connected\n');
    expect(line({ requestId: 'r1', method: 'POST', path: '/token', status: 200, ms: 1.5, msg: 'request' })).toBe(
      '03:04:05.678 INFO  token-service request requestId=r1 method=POST path=/token status=200 ms=1.5\n',
    );
  });

  it('keep what a line carries on that line: control characters are escaped, a stack is indented below', () => {
    const forged = 'ok\n03:04:05.678 ERROR token-service forged line\u001b[2J';
    const text = line({ msg: forged, path: '/x\r\ny' });
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toContain('ok\\u000a03:04:05.678 ERROR token-service forged line\\u001b[2J');
    const withStack = line({ level: 'error', msg: 'boom', err: { message: 'boom', stack: 'Error: boom\n    at here' } });
    expect(withStack).toBe('03:04:05.678 ERROR token-service boom\n    Error: boom\n        at here\n');
  });
});

describe('TurnBatchedOutput', () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('writes the lines of one turn of the event loop in one write, a fatal line at once', async () => {
    const writes: string[] = [];
    const output = new TurnBatchedOutput({ write: (text) => writes.push(text) });
    output.write('{"level":"info","msg":"a"}\n');
    output.write('{"level":"info","msg":"b"}\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['{"level":"info","msg":"a"}\n{"level":"info","msg":"b"}\n']);
    output.write('{"level":"info","msg":"c"}\n');
    output.write('{"level":"fatal","msg":"d"}\n');
    expect(writes).toEqual(['{"level":"info","msg":"a"}\n{"level":"info","msg":"b"}\n', '{"level":"info","msg":"c"}\n{"level":"fatal","msg":"d"}\n']);
  });
});

describe("Nest's Logger", () => {
  it('writes through the service logger once it is installed', () => {
    const { loggers, entries } = capture();
    Logger.overrideLogger(new NestLogger(loggers.app));
    try {
      new Logger('OutboxRelay').warn('publish failed, retrying in 100 ms');
    } finally {
      Logger.overrideLogger(false);
    }
    expect(entries()).toEqual([expect.objectContaining({ level: 'warn', context: 'OutboxRelay', msg: 'publish failed, retrying in 100 ms' })]);
  });
});
