import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceName } from '@keymint/config';
import { BusUser } from '@keymint/contracts';
import type { NatsAccess } from '@keymint/messaging';
import { authenticatedNatsServer, BusCredentials } from './nats-auth';
import { NatsServerProcess } from './nats-server';
import { createTestDatabase, postgresAdminUrl } from './postgres';
import { freePort } from './ports';
import { SERVICE_CATALOG, ServiceProcess } from './services';

/**
 * A real keymint cluster for end-to-end tests and benchmarks: its own nats-server with
 * JetStream on a free port, the compiled services as child processes on free
 * ports, SQLite files (or PostgreSQL via dbUrl) in a temporary folder.
 * Run `npm run build` first (`npm test` does). Used by the e2e tests and the benchmark.
 */
export interface TestCluster {
  /** Admits only keymint's bus users, each with its role's permissions (nats-auth.ts), as `npm start`'s does. */
  nats: NatsServerProcess;
  /** Every bus user's NKEY seed file and public key. */
  natsCredentials: BusCredentials;
  /** How to connect as a bus user (a test playing that service, or the reader). */
  natsAccess(user: BusUser): NatsAccess;
  services: Partial<Record<ServiceName, ServiceProcess>>;
  dataDir: string;
  /** The PostgreSQL database every service uses, or undefined for SQLite files in dataDir. */
  dbUrl?: string;
  admin: { username: string; password: string };
  /** http://127.0.0.1:<port><path> of a service. */
  url(service: ServiceName, path?: string): string;
  httpsPort(service: ServiceName): number;
  /** Basic authorization header value for the admin user. */
  adminAuthorization(): string;
  service(name: ServiceName): ServiceProcess;
  /** Starts one more process of a service (same store, NATS and DATA_DIR, ports of its own, env overrides) and waits until it is healthy. */
  addReplica(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  services?: ServiceName[];
  env?: Record<string, string>;
  dbUrl?: string;
}

/**
 * KEYMINT_E2E_DB=postgres runs every cluster that does not choose its store on
 * a fresh PostgreSQL database of its own (`npm run test:postgres`).
 */
async function defaultDatabase(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  if (process.env.KEYMINT_E2E_DB !== 'postgres') return undefined;
  const adminUrl = await postgresAdminUrl();
  if (!adminUrl) throw new Error('KEYMINT_E2E_DB=postgres but no PostgreSQL answers (set PG_URL)');
  return createTestDatabase(adminUrl);
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const ownDatabase = options.dbUrl ? undefined : await defaultDatabase();
  const dbUrl = options.dbUrl ?? ownDatabase?.url;
  const serviceNames = options.services ?? (['application-registry', 'token-service', 'analytics'] as ServiceName[]);
  const dataDir = mkdtempSync(join(tmpdir(), 'keymint-e2e-'));
  const { server: nats, credentials: natsCredentials } = authenticatedNatsServer(dataDir, { port: await freePort(), logFile: join(dataDir, 'nats.log') });
  await nats.start();
  const natsAccess = (user: BusUser): NatsAccess => ({ url: nats.url, user, nkeySeedFile: natsCredentials[user].seedFile });
  // Each service connects as its own bus user.
  const serviceEnv = (name: ServiceName): NodeJS.ProcessEnv => ({ ...env, NATS_NKEY_SEED_FILE: natsCredentials[name].seedFile });

  const admin = { username: 'admin', password: `Adm1n-${randomBytes(12).toString('hex')}` };
  const ports: Record<string, { http: number; https: number }> = {};
  const portEnv: Record<string, string> = {};
  for (const name of Object.keys(SERVICE_CATALOG) as ServiceName[]) {
    ports[name] = { http: await freePort(), https: await freePort() };
    portEnv[SERVICE_CATALOG[name].httpPortVariable] = String(ports[name].http);
    portEnv[SERVICE_CATALOG[name].httpsPortVariable] = String(ports[name].https);
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    NATS_URL: nats.url,
    BIND_HOST: '127.0.0.1',
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    ISSUER: `https://localhost:${ports['token-service'].https}/oauth2/token`,
    ...portEnv,
    ...(dbUrl ? { DB_URL: dbUrl } : {}),
    ...options.env,
  };

  const services: Partial<Record<ServiceName, ServiceProcess>> = {};
  const replicas: ServiceProcess[] = [];
  for (const name of serviceNames) {
    services[name] = new ServiceProcess({ name, env: serviceEnv(name), httpPort: ports[name].http, logFile: join(dataDir, 'logs', `${name}.log`) });
  }
  const cluster: TestCluster = {
    nats,
    natsCredentials,
    natsAccess,
    services,
    dataDir,
    dbUrl,
    admin,
    url: (service, path = '') => `http://127.0.0.1:${ports[service].http}${path}`,
    httpsPort: (service) => ports[service].https,
    adminAuthorization: () => `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`,
    service: (name) => {
      const service = services[name];
      if (!service) throw new Error(`${name} is not part of this test cluster`);
      return service;
    },
    addReplica: async (name, overrides = {}) => {
      const httpPort = await freePort();
      const replica = new ServiceProcess({
        name,
        env: {
          ...serviceEnv(name),
          ...overrides,
          [SERVICE_CATALOG[name].httpPortVariable]: String(httpPort),
          [SERVICE_CATALOG[name].httpsPortVariable]: String(await freePort()),
        },
        httpPort,
        logFile: join(dataDir, 'logs', `${name}-replica-${replicas.length + 1}.log`),
      });
      replicas.push(replica);
      replica.start();
      await replica.waitHealthy();
      return replica;
    },
    stop: async () => {
      const all = [...Object.values(services), ...replicas] as ServiceProcess[];
      await Promise.all(all.map((service) => service.stop()));
      await nats.stop();
      await ownDatabase?.drop();
      if (!process.env.KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    for (const service of Object.values(services)) service!.start();
    await Promise.all(Object.values(services).map((service) => service!.waitHealthy()));
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
  return cluster;
}
