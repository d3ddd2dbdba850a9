/** PostgreSQL helpers; they live in scripts/lib so the cluster harness and the benchmark share them. */
export * from '../../scripts/lib/postgres';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataSource } from '@keymint/persistence';
import { startTestCluster, TestCluster, TestClusterOptions } from '../../scripts/lib/cluster';
import { createTestDatabase, postgresAdminUrl, TestDatabase } from '../../scripts/lib/postgres';

/**
 * A fresh PostgreSQL database for a test, or null where no server answers (PG_URL, else
 * 127.0.0.1:5432): the caller skips its PostgreSQL run, and this says so once per call.
 */
export async function postgresTestDatabase(): Promise<TestDatabase | null> {
  const adminUrl = await postgresAdminUrl();
  if (adminUrl) return createTestDatabase(adminUrl);
  console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the PostgreSQL run');
  return null;
}

/**
 * A cluster on a fresh PostgreSQL database for the tests of one `describe`: started before them, stopped and its
 * database dropped after. Its `cluster` and `database` stay undefined where no PostgreSQL answers: the tests skip.
 */
export function postgresTestCluster(options: Omit<TestClusterOptions, 'dbUrl'> = {}): { readonly cluster?: TestCluster; readonly database?: TestDatabase } {
  const started: { cluster?: TestCluster; database?: TestDatabase } = {};
  beforeAll(async () => {
    started.database = (await postgresTestDatabase()) ?? undefined;
    if (started.database) started.cluster = await startTestCluster({ ...options, dbUrl: started.database.url });
  });
  afterAll(async () => {
    await started.cluster?.stop();
    await started.database?.drop();
  });
  return started;
}

/**
 * A store for a migration test run once per store (`describe.each(['SQLite', 'PostgreSQL'])`): a temporary
 * folder, and on PostgreSQL a fresh database (`skipped()` when none answers). `open` applies the migrations
 * given, so a test opens the store as an older release left it, writes rows, and opens it again newer
 * (with `entities`, to read them as the service does).
 */
export function migrationTestStore(store: 'SQLite' | 'PostgreSQL', service: Parameters<typeof openDataSource>[0]['service']) {
  let dir = '';
  let database: TestDatabase | null = null;
  let skip = false;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `keymint-${service}-migration-`));
    if (store === 'PostgreSQL') {
      database = await postgresTestDatabase();
      skip = database === null;
    }
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    skipped: () => skip,
    open: (migrations: Function[], entities: Function[] = []) => openDataSource({ service, dataDir: dir, ...(database ? { dbUrl: database.url } : {}), entities, migrations }),
  };
}
