import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isListening, waitFor } from './ports';

/** nats-server from NATS_SERVER_BIN, PATH or /usr/sbin (Debian's package); null when there is none. */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [
    env.NATS_SERVER_BIN,
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/sbin/nats-server',
  ].filter((candidate): candidate is string => Boolean(candidate));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next one */
    }
  }
  return null;
}

export const NATS_SERVER_MISSING =
  'nats-server was not found (looked at NATS_SERVER_BIN, PATH and /usr/sbin). Install it with ' +
  '`sudo apt-get install -y nats-server` (or run `npm run setup` as root), or set NATS_SERVER_BIN to its path.';

export interface NatsServerOptions {
  port: number;
  storeDir: string;
  host?: string;
  /** Where the server's own log goes; inherited stdio when absent. */
  logFile?: string;
  /** A configuration file (users and permissions: nats-auth.ts); without one the server admits anyone. */
  configFile?: string;
  /** The port its configuration's cluster block listens on for routes (a node of a cluster). */
  routePort?: number;
  /** The server's name (its name in a cluster: JetStream reports stream leaders by it). */
  serverName?: string;
  /** Added to the server's environment (variables its configuration refers to). */
  env?: NodeJS.ProcessEnv;
}

/** One nats-server with JetStream, started and stopped by us (the launcher and the test harness). */
export class NatsServerProcess {
  private child?: ChildProcess;
  private readonly binary = findNatsServer();

  constructor(readonly options: NatsServerOptions) {}

  get url(): string {
    return `nats://${this.options.host ?? '127.0.0.1'}:${this.options.port}`;
  }

  async start(): Promise<void> {
    if (!this.binary) throw new Error(NATS_SERVER_MISSING);
    mkdirSync(this.options.storeDir, { recursive: true });
    const args = ['-js', '-a', this.options.host ?? '127.0.0.1', '-p', String(this.options.port), '-sd', this.options.storeDir];
    if (this.options.serverName) args.push('-n', this.options.serverName);
    if (this.options.configFile) args.push('-c', this.options.configFile);
    if (this.options.logFile) args.push('-l', this.options.logFile);
    this.child = spawn(this.binary, args, { stdio: this.options.logFile ? 'ignore' : 'inherit', env: { ...process.env, ...this.options.env } });
    const child = this.child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
        return isListening(this.options.port, this.options.host ?? '127.0.0.1');
      },
      15000,
      `nats-server on port ${this.options.port}`,
      50,
    );
  }

  /** Resolves when the process has exited; kill -9 with `signal: 'SIGKILL'`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.child?.once('exit', listener);
  }
}
