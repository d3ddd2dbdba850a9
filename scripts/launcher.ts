/**
 * `npm start`: the whole keymint cluster on one machine. Starts an embedded
 * nats-server with JetStream (unless NATS_URL is set), then the three
 * services; waits until all are healthy, prints the endpoints and the admin
 * credentials, restarts whatever dies (with backoff, as a compose restart
 * policy would) and stops everything cleanly on Ctrl-C.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  launcherEnvShape,
  loadConfig,
  processEnv,
  SERVICE_NAMES,
  serviceEnvShapes,
  ServiceName,
  withoutUrlCredentials,
} from '@keymint/config';
import { createLoggers, logFormatOf } from '@keymint/telemetry';
import { authenticatedNatsServer, credentialsDirOf, seedFileOf } from './lib/nats-auth';
import { NatsServerProcess } from './lib/nats-server';
import { freePort, isListening } from './lib/ports';
import { SERVICE_CATALOG, ServiceProcess } from './lib/services';

/** Where the registry writes a generated admin password, under DATA_DIR (docs/registry.md, "The admin user"). */
const ADMIN_CREDENTIALS_FILE = 'admin-credentials';

const HELP = `Usage: npm start   (or: node dist/scripts/launcher.js [--help])

Starts the keymint cluster: an embedded nats-server with JetStream, the token
service, the application registry and the analytics service, all on this
machine with SQLite files under DATA_DIR. Ctrl-C stops everything.

The embedded nats-server listens on 127.0.0.1 only and admits only keymint's
services, each as its own user with the permissions of its role: their NKEYs
are generated on the first start into DATA_DIR/nats-credentials (0600), and
its configuration is written to DATA_DIR/nats-server.conf. reader/reader.nk
there is a read-only credential for a consumer of your own (docs/security.md).

Environment (all optional):
  DATA_DIR          where everything is stored (default ./data)
  NATS_URL          use this NATS instead of starting one (e.g. nats://127.0.0.1:4222); every
                    service is then given the same NATS_CREDS / NATS_NKEY_SEED_FILE /
                    NATS_USER and NATS_PASSWORD / NATS_TLS_* from the environment, unless
                    DATA_DIR/nats-credentials/<service>/<service>.creds or .nk exists
                    (docs/operations.md, "Your own NATS")
  NATS_PORT         port of the embedded nats-server (default 4222; a free port if taken)
  NATS_SERVER_BIN   path of nats-server (default: PATH, then /usr/sbin)
  ADMIN_USERNAME / ADMIN_PASSWORD   first admin user (default: admin with a generated password)
  LOG_LEVEL         fatal, error, warn, info (default), debug or trace
  LOG_FORMAT        pretty (one readable line per entry) or json; default: pretty on a
                    terminal, JSON otherwise (each service and the launcher alike)
  OTEL_EXPORTER_OTLP_ENDPOINT   send OpenTelemetry traces there (OTLP/HTTP); unset: no tracing
  BIND_HOST / HTTP_BIND_HOST        where HTTPS (default 0.0.0.0) and plain HTTP (default
                    127.0.0.1: this machine only) listen
  Service ports, TLS, DB_URL and the rest: see README.md ("Configuration").
`;

/** The launcher's own lines: text for a person at a terminal, JSON lines beside the services' anywhere else (LOG_FORMAT). */
let log = (message: string): void => {
  process.stdout.write(`[keymint] ${message}\n`);
};

/** Restarts a process that died, waiting longer after each quick failure. */
class Supervisor {
  private stopping = false;
  private readonly restarts = new Map<string, { count: number; lastStart: number }>();

  get isStopping(): boolean {
    return this.stopping;
  }

  stop(): void {
    this.stopping = true;
  }

  watch(name: string, onExit: (listener: (code: number | null, signal: NodeJS.Signals | null) => void) => void, restart: () => Promise<void>): void {
    this.restarts.set(name, { count: 0, lastStart: Date.now() });
    onExit((code, signal) => {
      if (this.stopping) return;
      const state = this.restarts.get(name)!;
      // A process that ran for a minute is considered healthy again: the backoff starts over.
      if (Date.now() - state.lastStart > 60_000) state.count = 0;
      const delayMs = Math.min(1000 * 2 ** state.count, 30_000);
      state.count += 1;
      log(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delayMs / 1000} s`);
      setTimeout(() => {
        if (this.stopping) return;
        state.lastStart = Date.now();
        restart()
          .then(() => this.watch(name, onExit, restart))
          .catch((error: Error) => log(`${name} could not be restarted: ${error.message}`));
      }, delayMs);
    });
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig(launcherEnvShape);
  if (logFormatOf(config.LOG_FORMAT, process.stdout.isTTY === true) === 'json') {
    const { app } = createLoggers({ service: 'launcher', level: 'info', format: 'json' });
    log = (message) => app.info(message);
  }
  const dataDir = resolve(config.DATA_DIR);
  // Only the start that creates the admin shows its password: later starts must not put it in every terminal log.
  const adminCreatedByThisStart = !existsSync(join(dataDir, ADMIN_CREDENTIALS_FILE));
  const childEnv: NodeJS.ProcessEnv = { ...processEnv(), DATA_DIR: dataDir };

  // Every service validates its own configuration; check them all before starting anything.
  const listeners = SERVICE_NAMES.map((name) => serviceListeners(name, childEnv));
  const ports = listeners.flatMap(({ name, httpsPort, httpPort, httpEnabled }) => {
    const { httpsPortVariable, httpPortVariable } = SERVICE_CATALOG[name];
    const list = [{ name, variable: httpsPortVariable, port: httpsPort }];
    if (httpEnabled) list.push({ name, variable: httpPortVariable, port: httpPort });
    return list;
  });
  for (const { name, variable, port } of ports) {
    if (await isListening(port)) throw new Error(`port ${port} (${name}) is already in use: set ${variable} to a free port`);
  }

  const supervisor = new Supervisor();
  let nats: NatsServerProcess | undefined;
  if (config.NATS_URL) {
    log(`using NATS at ${withoutUrlCredentials(config.NATS_URL)}`);
  } else {
    let port = config.NATS_PORT;
    if (await isListening(port)) {
      const taken = port;
      port = await freePort();
      log(`port ${taken} is taken (another NATS?); the embedded nats-server uses port ${port} instead`);
    }
    // The binary comes from findNatsServer (NATS_SERVER_BIN when it is executable, else PATH, then /usr/sbin), as in setup.sh.
    nats = authenticatedNatsServer(dataDir, { port, logFile: join(dataDir, 'nats-server.log') }).server;
    await nats.start();
    log(`nats-server with JetStream on ${nats.url}, services authenticated (data in ${join(dataDir, 'nats')})`);
    const embedded = nats;
    supervisor.watch('nats-server', (listener) => embedded.onExit(listener), () => embedded.start());
    childEnv.NATS_URL = nats.url;
  }

  const services = listeners.map(({ name, httpPort }) => new ServiceProcess({ name, env: { ...childEnv, ...natsCredentialsEnv(name, dataDir) }, httpPort }));

  const shutdown = async (signal: string) => {
    if (supervisor.isStopping) return;
    supervisor.stop();
    log(`${signal}: stopping`);
    await Promise.all(services.map((service) => service.stop()));
    await nats?.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  for (const service of services) service.start();
  try {
    // Until everything is healthy, a service that cannot start is a failed start, not something to retry forever.
    await Promise.all(services.map((service) => service.waitHealthy(120_000)));
  } catch (error) {
    supervisor.stop();
    await Promise.all(services.map((service) => service.stop()));
    await nats?.stop();
    throw error;
  }
  for (const service of services) {
    supervisor.watch(service.name, (listener) => service.onExit(listener), async () => {
      service.start();
    });
  }
  printReady(listeners, dataDir, config.ADMIN_PASSWORD !== undefined, adminCreatedByThisStart);
}

/**
 * The service's own NATS credentials, when DATA_DIR holds them: the embedded
 * server's generated NKEYs, or with NATS_URL a `<service>.creds` or
 * `<service>.nk` the operator put in `nats-credentials/<service>/`. Otherwise the environment's apply.
 */
function natsCredentialsEnv(name: ServiceName, dataDir: string): NodeJS.ProcessEnv {
  const seed = seedFileOf(credentialsDirOf(dataDir), name);
  const creds = seed.replace(/\.nk$/, '.creds');
  const none = { NATS_CREDS: '', NATS_NKEY_SEED_FILE: '', NATS_USER: '', NATS_PASSWORD: '' };
  if (existsSync(creds)) return { ...none, NATS_CREDS: creds };
  if (existsSync(seed)) return { ...none, NATS_NKEY_SEED_FILE: seed };
  return {};
}

interface ServiceListeners {
  name: ServiceName;
  httpsPort: number;
  httpPort: number;
  httpEnabled: boolean;
  /** Where plain HTTP listens (HTTP_BIND_HOST): loopback unless the operator opened it. */
  httpBindHost: string;
}

/** A service's ports, from its own validated configuration (a bad value stops the launcher, naming the variable). */
function serviceListeners(name: ServiceName, env: NodeJS.ProcessEnv): ServiceListeners {
  const service = loadConfig(serviceEnvShapes[name], env) as Record<string, unknown>;
  const { httpsPortVariable, httpPortVariable } = SERVICE_CATALOG[name];
  return {
    name,
    httpsPort: service[httpsPortVariable] as number,
    httpPort: service[httpPortVariable] as number,
    httpEnabled: Boolean(service.HTTP_ENABLED),
    httpBindHost: service.HTTP_BIND_HOST as string,
  };
}

function printReady(listeners: ServiceListeners[], dataDir: string, adminPasswordFromEnv: boolean, adminCreatedByThisStart: boolean): void {
  const lines = ['keymint is up:'];
  for (const { name, httpsPort, httpPort, httpEnabled, httpBindHost } of listeners) {
    lines.push(`  ${name.padEnd(21)} https://localhost:${httpsPort}${httpEnabled ? `  http://localhost:${httpPort}` : ''}`);
  }
  const httpHosts = [...new Set(listeners.filter((listener) => listener.httpEnabled).map((listener) => listener.httpBindHost))];
  if (httpHosts.length > 0) {
    lines.push(
      httpHosts.every(isLoopback)
        ? '  plain http            this machine only (HTTP_BIND_HOST); from elsewhere use https'
        : `  plain http            on ${httpHosts.join(', ')} (HTTP_BIND_HOST): passwords and tokens cross that network in clear text`,
    );
  }
  const tokenService = listeners.find((listener) => listener.name === 'token-service')!;
  lines.push(`  token endpoint        POST https://localhost:${tokenService.httpsPort}/token`);
  const credentialsFile = join(dataDir, ADMIN_CREDENTIALS_FILE);
  if (adminPasswordFromEnv) {
    lines.push('  admin credentials     as given in ADMIN_USERNAME / ADMIN_PASSWORD');
  } else if (existsSync(credentialsFile)) {
    const values = Object.fromEntries(
      readFileSync(credentialsFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    lines.push(
      adminCreatedByThisStart
        ? `  admin user            ${values.ADMIN_USERNAME} / ${values.ADMIN_PASSWORD}   (stored in ${credentialsFile}; shown on this first start only)`
        : `  admin user            ${values.ADMIN_USERNAME}, password in ${credentialsFile}`,
    );
  }
  lines.push('Ctrl-C stops everything.');
  log(lines.join('\n'));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

main().catch((error: Error) => {
  process.stderr.write(`[keymint] cannot start: ${error.message}\n`);
  process.exit(1);
});
