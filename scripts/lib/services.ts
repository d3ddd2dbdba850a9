import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { ServiceName, SERVICE_PORT_VARIABLES } from '@keymint/config';
import { waitFor } from './ports';

/** Where each service's compiled entry point is and which variables set its ports. */
export const SERVICE_CATALOG: Record<ServiceName, { entry: string; httpsPortVariable: string; httpPortVariable: string }> = {
  'token-service': {
    entry: 'apps/token-service/src/main.js',
    httpsPortVariable: SERVICE_PORT_VARIABLES['token-service'].https,
    httpPortVariable: SERVICE_PORT_VARIABLES['token-service'].http,
  },
  'application-registry': {
    entry: 'apps/application-registry/src/main.js',
    httpsPortVariable: SERVICE_PORT_VARIABLES['application-registry'].https,
    httpPortVariable: SERVICE_PORT_VARIABLES['application-registry'].http,
  },
  analytics: {
    entry: 'apps/analytics/src/main.js',
    httpsPortVariable: SERVICE_PORT_VARIABLES.analytics.https,
    httpPortVariable: SERVICE_PORT_VARIABLES.analytics.http,
  },
};

/** The compiled tree (dist/); this file itself lives in dist/scripts/lib once built. */
export function distDir(): string {
  const here = __dirname;
  return here.includes(`${join('dist', 'scripts')}`) ? resolve(here, '..', '..') : resolve(here, '..', '..', 'dist');
}

export interface ServiceProcessOptions {
  name: ServiceName;
  env: NodeJS.ProcessEnv;
  httpPort: number;
  /** Appends the service's stdout/stderr here; inherited stdio when absent. */
  logFile?: string;
  /** Extra node flags (e.g. --max-old-space-size). */
  nodeArgs?: string[];
}

/** One service as a child process: start, wait for /health, stop, kill -9. */
export class ServiceProcess {
  private child?: ChildProcess;

  constructor(readonly options: ServiceProcessOptions) {}

  get name(): ServiceName {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.options.httpPort}`;
  }

  start(): ChildProcess {
    const entry = join(distDir(), SERVICE_CATALOG[this.name].entry);
    // The child writes its log file itself: piped through this process, every line (an access-log line per
    // request under load) cost this process's event loop, which under `npm run bench` is the load generator's.
    let logFd: number | undefined;
    if (this.options.logFile) {
      mkdirSync(dirname(this.options.logFile), { recursive: true });
      logFd = openSync(this.options.logFile, 'a');
    }
    try {
      this.child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), entry], {
        env: this.options.env,
        stdio: logFd === undefined ? 'inherit' : ['ignore', logFd, logFd],
      });
    } finally {
      // The child holds its own copy of the descriptor.
      if (logFd !== undefined) closeSync(logFd);
    }
    return this.child;
  }

  /** Resolves when GET /health answers 200; rejects early if the process dies. */
  async waitHealthy(timeoutMs = 60000): Promise<void> {
    const child = this.child;
    await waitFor(
      async () => {
        if (!child || child.exitCode !== null) throw new Error(`${this.name} exited with code ${child?.exitCode} before it was healthy${this.lastLogLines()}`);
        return (await healthStatus(this.options.httpPort)) === 200;
      },
      timeoutMs,
      `${this.name} /health`,
    );
  }

  /** The end of the service's log file, to say why it stopped (the test cluster's folder is gone after the run). */
  private lastLogLines(lines = 5): string {
    if (!this.options.logFile) return '';
    try {
      return `; its log ends:\n${readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`;
    } catch {
      return '';
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  }

  /** Calls back once when the current process exits. */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.child?.once('exit', listener);
  }
}

/** The HTTP status of GET /health on 127.0.0.1, or 0 when nothing answers. */
export function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = httpGet({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}
