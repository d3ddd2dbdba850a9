import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { isListening } from './ports';

/**
 * PostgreSQL for the persistence tests: PG_URL when set, else the local server
 * on 127.0.0.1:5432 (trust auth on these machines), else null (tests skip it).
 */
export async function postgresAdminUrl(): Promise<string | null> {
  if (process.env.PG_URL) return process.env.PG_URL;
  if (!(await isListening(5432))) return null;
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return url;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A fresh database of its own (unique name) and a function that drops it.
 * Every cluster gets its own: each creates its admin user with a random password.
 */
export async function createTestDatabase(adminUrl: string, prefix = 'keymint_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
