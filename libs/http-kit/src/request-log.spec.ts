import { RequestLog, RequestLogEntry } from './request-log';

const entry = (path: string): RequestLogEntry => ({ msg: 'request', method: 'POST', path, status: 200, ms: 1.25, remote: '127.0.0.1' });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestLog', () => {
  it('writes the requests of one event-loop turn as JSON lines in one write', async () => {
    const writes: string[] = [];
    const log = new RequestLog('token-service', true, { write: (text) => writes.push(text) });
    log.write(entry('/token'));
    log.write(entry('/revoke'));
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    const lines = writes[0].split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'log', pid: process.pid, timestamp: expect.any(Number), message: entry('/token'), context: 'token-service' },
      { level: 'log', pid: process.pid, timestamp: expect.any(Number), message: entry('/revoke'), context: 'token-service' },
    ]);
    log.write(entry('/introspect'));
    await nextTurn();
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[1]).message.path).toBe('/introspect');
  });

  it('writes nothing when LOG_LEVEL leaves out the log level', async () => {
    const writes: string[] = [];
    new RequestLog('token-service', false, { write: (text) => writes.push(text) }).write(entry('/token'));
    await nextTurn();
    expect(writes).toEqual([]);
  });
});
