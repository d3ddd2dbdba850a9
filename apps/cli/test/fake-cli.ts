import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli';
import { CliEnv } from '../src/cli-env';
import { CliDependencies } from '../src/context';
import { HttpRequest, HttpResponse, HttpTransport, TlsOptions } from '../src/http/http-transport';

/** For unit tests only: a scripted HTTP server and captured stdout/stderr. */
export type Route = (request: HttpRequest) => HttpResponse | undefined;

export const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: body === undefined ? '' : JSON.stringify(body),
});

export class FakeTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];

  constructor(private readonly routes: Route[]) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    for (const route of this.routes) {
      const response = route(request);
      if (response) return response;
    }
    return json(404, { code: 404, message: 'Not Found', description: `no fake route for ${request.method} ${request.url}` });
  }
}

export interface FakeRun {
  code: number;
  stdout: string;
  stderr: string;
  transport: FakeTransport;
  /** The TLS options of every transport the run asked for (a client certificate, --ca, --insecure). */
  tls: TlsOptions[];
}

export interface FakeCliOptions {
  routes?: Route[];
  env?: Partial<CliEnv>;
  stdin?: string;
  now?: number;
}

export function temporaryConfigHome(): string {
  return mkdtempSync(join(tmpdir(), 'keymint-cli-spec-'));
}

export async function runFakeCli(argv: string[], options: FakeCliOptions = {}): Promise<FakeRun> {
  const transport = new FakeTransport(options.routes ?? []);
  const tls: TlsOptions[] = [];
  let stdout = '';
  let stderr = '';
  const ownConfigHome = options.env?.XDG_CONFIG_HOME === undefined ? temporaryConfigHome() : undefined;
  const dependencies: CliDependencies = {
    env: { XDG_CONFIG_HOME: ownConfigHome, ...options.env },
    terminal: {
      interactive: false,
      readStdin: async () => options.stdin ?? '',
      prompt: async () => {
        throw new Error('no terminal in tests');
      },
    },
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    createTransport: (options) => {
      tls.push(options);
      return transport;
    },
    now: () => options.now ?? Date.parse('2026-11-25T12:00:00Z'),
  };
  const code = await runCli(argv, dependencies).finally(() => {
    if (ownConfigHome) rmSync(ownConfigHome, { recursive: true, force: true });
  });
  return { code, stdout, stderr, transport, tls };
}
