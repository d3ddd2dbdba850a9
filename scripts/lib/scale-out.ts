import { ServiceName, SERVICE_NAMES } from '@keymint/config';
import { startTestCluster, TestCluster } from './cluster';
import { createTestDatabase, postgresAdminUrl, PostgresInstance } from './postgres';
import { freePort } from './ports';
import { ServiceProcess } from './services';

/**
 * The scale-out layout of docs/operations.md on one machine, without Docker: a three-node NATS cluster
 * (JetStream, streams at replicas 3, authenticated routes), PostgreSQL for every store, and `replicas`
 * processes of each service. PostgreSQL is a server of its own (initdb into a temporary folder, so that a test
 * may crash it) where the PostgreSQL binaries are installed, else a fresh database on PG_URL (or
 * 127.0.0.1:5432), which a test must not crash (`postgres` is then undefined).
 */
export interface ScaleOutCluster {
  cluster: TestCluster;
  /** The PostgreSQL server this layout started, or undefined when it runs on PG_URL's. */
  postgres?: PostgresInstance;
  /** Every process of each service, the cluster's own first. */
  replicas: Record<ServiceName, ServiceProcess[]>;
  stop(): Promise<void>;
}

export interface ScaleOutOptions {
  /** Processes of each service (default SCALE_OUT_LAYOUT's). */
  replicas?: number;
  natsNodes?: number;
  env?: Record<string, string>;
}

/** The layout as tested, and as docker-compose.yml's scale-out profile runs it (test/docker-compose.spec.ts). */
export const SCALE_OUT_LAYOUT = { natsNodes: 3, replicasPerService: 2 } as const;

/** Null when no PostgreSQL can be had (no binaries, nothing on PG_URL or 127.0.0.1:5432). */
export async function startScaleOutCluster(options: ScaleOutOptions = {}): Promise<ScaleOutCluster | null> {
  const postgres = (await PostgresInstance.create(await freePort())) ?? undefined;
  const adminUrl = postgres?.adminUrl ?? (await postgresAdminUrl());
  if (!adminUrl) return null;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let cluster: TestCluster | undefined;
  try {
    database = await createTestDatabase(adminUrl, 'keymint_scale_out');
    cluster = await startTestCluster({ dbUrl: database.url, natsNodes: options.natsNodes ?? SCALE_OUT_LAYOUT.natsNodes, env: options.env });
    const replicas = Object.fromEntries(SERVICE_NAMES.map((name) => [name, [cluster!.service(name)]])) as Record<ServiceName, ServiceProcess[]>;
    // After the first process of each service, which has applied the migrations: the others start on them.
    for (let round = 1; round < (options.replicas ?? SCALE_OUT_LAYOUT.replicasPerService); round++) {
      const added = await Promise.all(SERVICE_NAMES.map((name) => cluster!.addReplica(name)));
      added.forEach((replica) => replicas[replica.name].push(replica));
    }
    const started = { cluster, database };
    return {
      cluster,
      postgres,
      replicas,
      stop: async () => {
        await started.cluster.stop();
        // The server of its own goes whole; on a shared server only this layout's database.
        if (postgres) await postgres.destroy();
        else await started.database.drop();
      },
    };
  } catch (error) {
    await cluster?.stop().catch(() => undefined);
    if (postgres) await postgres.destroy();
    else await database?.drop().catch(() => undefined);
    throw error;
  }
}
