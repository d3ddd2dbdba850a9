/** What the access log records of one request: never the query string or a body (they may carry credentials). */
export interface RequestLogEntry {
  msg: 'request';
  method: string;
  path: string;
  status: number;
  ms: number;
  remote: string;
}

/**
 * The access log: one JSON line per request, in the shape of the services'
 * other log lines (Nest's JSON ConsoleLogger: level, pid, timestamp, message,
 * context). Lines are written once per turn of the event loop rather than one
 * write per request: under load the per-request write (a system call each) and
 * Nest's general-purpose serializer were ~5% of the token path's CPU.
 */
export class RequestLog {
  private lines: string[] = [];
  private flushScheduled = false;

  constructor(
    private readonly context: string,
    private readonly enabled: boolean,
    private readonly output: { write(text: string): unknown } = process.stdout,
  ) {
    // Lines of the last turn are not lost when the process exits.
    if (enabled) process.once('exit', () => this.flush());
  }

  write(entry: RequestLogEntry): void {
    if (!this.enabled) return;
    this.lines.push(JSON.stringify({ level: 'log', pid: process.pid, timestamp: Date.now(), message: entry, context: this.context }));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.lines.length === 0) return;
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    this.output.write(text);
  }
}
