/** PostgreSQL helpers; they live in scripts/lib so the cluster harness and the benchmark share them. */
export * from '../../scripts/lib/postgres';

import { createTestDatabase, postgresAdminUrl } from '../../scripts/lib/postgres';

/**
 * A fresh PostgreSQL database for a test, or null where no server answers (PG_URL, else
 * 127.0.0.1:5432): the caller skips its PostgreSQL run, and this says so once per call.
 */
export async function postgresTestDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const adminUrl = await postgresAdminUrl();
  if (adminUrl) return createTestDatabase(adminUrl);
  console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the PostgreSQL run');
  return null;
}
