import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceName } from '@keymint/config';
import { BusUser } from '@keymint/contracts';
import { connect } from 'nats';
import { NatsAccess, natsConnectionOptions } from '@keymint/messaging';
import { authenticatedNatsCluster, authenticatedNatsServer, BusCredentials } from './nats-auth';
import { NatsServerProcess } from './nats-server';
import { createTestDatabase, postgresAdminUrl, TestDatabase } from './postgres';
import { freePort, waitFor } from './ports';
import { SERVICE_CATALOG, ServiceProcess } from './services';

/**
 * A real keymint cluster for end-to-end tests and benchmarks: its own nats-server with
 * JetStream on a free port, the compiled services as child processes on free
 * ports, SQLite files (or PostgreSQL via dbUrl) in a temporary folder.
 * Run `npm run build` first (`npm test` does). Used by the e2e tests and the benchmark.
 */
export interface TestCluster {
  /** Admits only keymint's bus users, each with its role's permissions (nats-auth.ts), as `npm start`'s does. The first node of a NATS cluster. */
  nats: NatsServerProcess;
  /** Every NATS node: `nats` alone, or the nodes of the cluster (`natsNodes`), named nats-1, nats-2, … */
  natsNodes: NatsServerProcess[];
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
  /**
   * A NATS cluster of this many nodes (authenticated routes) instead of one server: every service is given all
   * their URLs in NATS_URL and NATS_STREAM_REPLICAS = the number of nodes (unless `env` says otherwise).
   */
  natsNodes?: number;
}

/**
 * KEYMINT_E2E_DB=postgres runs every cluster that does not choose its store on
 * a fresh PostgreSQL database of its own (`npm run test:postgres`).
 */
async function defaultDatabase(): Promise<TestDatabase | undefined> {
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
  const { natsNodes, natsCredentials } = await natsServersFor(dataDir, options.natsNodes ?? 1);
  const nats = natsNodes[0];
  const natsUrl = natsNodes.map((node) => node.url).join(',');
  const natsAccess = (user: BusUser): NatsAccess => ({ url: natsUrl, user, nkeySeedFile: natsCredentials[user].seedFile });
  try {
    await Promise.all(natsNodes.map((node) => node.start()));
    if (natsNodes.length > 1) await waitForJetStream(natsAccess('reader'));
  } catch (error) {
    await Promise.all(natsNodes.map((node) => node.stop()));
    throw error;
  }
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
    NATS_URL: natsUrl,
    ...(natsNodes.length > 1 ? { NATS_STREAM_REPLICAS: String(natsNodes.length) } : {}),
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
    natsNodes,
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
      await Promise.all(natsNodes.map((node) => node.stop()));
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

async function natsServersFor(dataDir: string, nodes: number): Promise<{ natsNodes: NatsServerProcess[]; natsCredentials: BusCredentials }> {
  if (nodes === 1) {
    const { server, credentials } = authenticatedNatsServer(dataDir, { port: await freePort(), logFile: join(dataDir, 'nats.log') });
    return { natsNodes: [server], natsCredentials: credentials };
  }
  const { servers, credentials } = await authenticatedNatsCluster(dataDir, { nodes, freePort });
  return { natsNodes: servers, natsCredentials: credentials };
}

/**
 * Until the cluster's nodes have found each other and elected a JetStream leader, JetStream answers "temporarily
 * unavailable", and a service that creates its streams then would stop.
 */
export async function waitForJetStream(access: NatsAccess, timeoutMs = 30_000): Promise<void> {
  const connection = await connect({ ...natsConnectionOptions(access, 'cluster-readiness'), waitOnFirstConnect: false, maxReconnectAttempts: -1 });
  try {
    await waitFor(
      async () => {
        try {
          await (await connection.jetstreamManager({ timeout: 2000 })).getAccountInfo();
          return true;
        } catch {
          return false;
        }
      },
      timeoutMs,
      'a JetStream leader in the NATS cluster',
      200,
    );
  } finally {
    await connection.close();
  }
}
