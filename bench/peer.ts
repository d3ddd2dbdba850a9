import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../scripts/lib/ports';
import { PeerFormat } from './scenarios';

/** bench/peer-oidc-provider.mjs as a child process (oidc-provider 9 is ESM-only, so it never enters dist). */
export class PeerProcess {
  private child?: ChildProcess;
  readonly clientId = 'bench';
  readonly clientSecret = randomBytes(32).toString('base64url');
  port = 0;
  private stderrTail = '';

  constructor(
    readonly format: PeerFormat,
    private readonly projectRoot: string,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 30000): Promise<void> {
    this.port = await freePort();
    const script = join(this.projectRoot, 'bench', 'peer-oidc-provider.mjs');
    const child = spawn(process.execPath, [script, String(this.port), this.format, this.clientSecret], {
      cwd: this.projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' },
    });
    this.child = child;
    // Keep the last errors for the report; the provider's start-up notices are not interesting.
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`peer (${this.format}) did not print "ready" within ${timeoutMs} ms: ${this.stderrTail}`)), timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`peer (${this.format}) exited with code ${code}: ${this.stderrTail}`));
      });
    });
  }

  get errorOutput(): string {
    return this.stderrTail;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
