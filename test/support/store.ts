import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import SqliteDatabase from 'better-sqlite3';
import type { TestCluster } from './cluster';

/** A service's store as its table prefix and SQLite file name say. */
export type Store = 'token' | 'registry' | 'analytics';

/**
 * Runs a read query on a service's store, SQLite file or PostgreSQL, whichever
 * the cluster uses. Quote mixed-case column names ("tokenHash"): both accept it.
 */
export async function queryStore(cluster: TestCluster, store: Store, sql: string): Promise<Array<Record<string, unknown>>> {
  if (cluster.dbUrl) {
    const client = new Client({ connectionString: cluster.dbUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }
  const database = new SqliteDatabase(join(cluster.dataDir, `${store}.sqlite`), { readonly: true, fileMustExist: true });
  try {
    return database.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    database.close();
  }
}

/**
 * Everything a service's store holds, as text, for "never stored in the
 * clear" checks: the raw SQLite file and its WAL (free pages included), or
 * every row of every table of the service on PostgreSQL.
 */
export async function storeContents(cluster: TestCluster, store: Store): Promise<string> {
  if (!cluster.dbUrl) {
    const file = join(cluster.dataDir, `${store}.sqlite`);
    return [file, `${file}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path).toString('latin1')).join('\n');
  }
  const tables = await queryStore(cluster, store, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '${store}\\_%'`);
  const parts: string[] = [];
  for (const { tablename } of tables) parts.push(JSON.stringify(await queryStore(cluster, store, `SELECT * FROM "${tablename as string}"`)));
  return parts.join('\n');
}
