import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { postgresTestDatabase, TestDatabase } from '../../../test/support/postgres';
import { BatchWriter } from './batch-writer';
import { openDataSource } from './data-source';
import { Database } from './database';
import { createPrefixedTable } from './migration-helpers';
import { Statements } from './statements';

class Items1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner) {
    await createPrefixedTable(queryRunner, { name: 'items', columns: [{ name: 'value', type: 'integer', isPrimary: true }] });
  }
  async down() {}
}

describe.each(['SQLite', 'PostgreSQL'] as const)('pipelinedTransaction on %s', (store) => {
  let dir: string;
  let postgres: TestDatabase | null = null;
  let database: Database | undefined;
  const param = (index: number) => (store === 'PostgreSQL' ? `$${index}` : '?');
  const count = async () => Number((await database!.manager.query('SELECT COUNT(*) AS n FROM token_items'))[0].n);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-pipeline-'));
    if (store === 'PostgreSQL') {
      postgres = await postgresTestDatabase();
      if (!postgres) return;
    }
    const dataSource = await openDataSource({ service: 'token', dataDir: dir, dbUrl: postgres?.url, entities: [], migrations: [Items1700000000000] });
    database = new Database(dataSource);
  });
  afterEach(async () => {
    await database?.close();
    database = undefined;
    await postgres?.drop();
    postgres = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits statements given without waiting for each other, and returns their rows', async () => {
    if (!database) return;
    let returned: unknown[] = [];
    await database.pipelinedTransaction(async (statements) => {
      const first = statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [1]);
      const second = statements.query(`INSERT INTO token_items (value) VALUES (${param(1)}) RETURNING value`, [2]);
      returned = (await Promise.all([first, second]))[1];
    });
    expect(returned).toEqual([{ value: 2 }]);
    expect(await count()).toBe(2);
  });

  it('commits statements its work gave without waiting for their answers, and fails with a failing one, rolled back', async () => {
    if (!database) return;
    await database.pipelinedTransaction(async (statements) => {
      void statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [1]);
      void statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [2]);
    });
    expect(await count()).toBe(2);
    const failing = database.pipelinedTransaction(async (statements) => {
      void statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [3]);
      void statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [1]);
    });
    await expect(failing).rejects.toThrow();
    expect(await count()).toBe(2);
  });

  it('reads (Database.read) what every transaction begun before the read committed', async () => {
    if (!database) return;
    const written = database.pipelinedTransaction(async (statements) => void statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [7]));
    const read = database.read<{ value: number }>('SELECT value FROM token_items ORDER BY value', []);
    await written;
    expect(await read).toEqual([{ value: 7 }]);
  });

  it('rolls back a transaction whose statement fails, and only that one: the next sees the ones before', async () => {
    if (!database) return;
    const insert = (value: number) => database!.pipelinedTransaction(async (statements) => void (await statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [value])));
    const duplicate = database.pipelinedTransaction(async (statements) => {
      await Promise.all([
        statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [10]),
        statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [10]),
      ]);
    });
    // Begun after the failing one and before it was answered: it still starts clean and sees what committed before it.
    const [first, failed, after] = await Promise.allSettled([insert(1), duplicate, insert(2)]);
    expect([first.status, failed.status, after.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const seen: unknown[] = [];
    await database.pipelinedTransaction(async (statements) => void seen.push(...(await statements.query('SELECT value FROM token_items ORDER BY value'))));
    expect(seen).toEqual([{ value: 1 }, { value: 2 }]);
  });

  it('fails a statement given after its transaction was sent in full with an answer its caller gets, never an unhandled rejection', async () => {
    if (!database) return;
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      let kept: Statements | undefined;
      let late: Promise<unknown> | undefined;
      await database.pipelinedTransaction(async (statements) => {
        kept = statements;
        // The work resolves without waiting for this answer, so its COMMIT goes out; the statement given on the
        // answer comes too late. A throw there would reject the chain nobody awaits: an unhandled rejection.
        void statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [1]).then(() => {
          late = statements.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [2]);
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // After the transaction resolved: an answer, not a throw.
      const afterwards = kept!.query(`INSERT INTO token_items (value) VALUES (${param(1)})`, [3]);
      await expect(late).rejects.toThrow('a statement given after its transaction was sent in full was not run');
      await expect(afterwards).rejects.toThrow('a statement given after its transaction was sent in full was not run');
      expect(unhandled).toEqual([]);
      expect(await count()).toBe(1);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('keeps group-committing after the connection it kept for them was cut (PostgreSQL restarted, network lost)', async () => {
    if (!database || store !== 'PostgreSQL') return;
    const writer = new BatchWriter<number>(database, async (statements, values) => {
      await Promise.all(values.map((value) => statements.query('INSERT INTO token_items (value) VALUES ($1)', [value])));
    });
    await Promise.all([1, 2, 3].map((value) => writer.submit(value)));
    const admin = new Client({ connectionString: postgres!.url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    await admin.end();
    // The batch that meets the cut connection may fail; the ones after it are written on a new one.
    await Promise.allSettled([writer.submit(4)]);
    await Promise.all([5, 6].map((value) => writer.submit(value)));
    expect(await count()).toBeGreaterThanOrEqual(5);
  });
});
