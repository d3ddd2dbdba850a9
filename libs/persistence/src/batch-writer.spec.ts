import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { BatchWriter } from './batch-writer';
import { openDataSource } from './data-source';
import { Database } from './database';
import { createPrefixedTable } from './migration-helpers';

class Items1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner) {
    await createPrefixedTable(queryRunner, { name: 'items', columns: [{ name: 'value', type: 'integer', isPrimary: true }] });
  }
  async down() {}
}

describe('Database and BatchWriter on SQLite', () => {
  let dir: string;
  let database: Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-db-'));
    database = new Database(await openDataSource({ service: 'token', dataDir: dir, entities: [], migrations: [Items1700000000000] }));
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs concurrent transactions one after another without interleaving', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        database.transaction(async (manager) => {
          await manager.query('INSERT INTO token_items (value) VALUES (?)', [index]);
        }),
      ),
    );
    expect(await database.manager.query('SELECT COUNT(*) AS n FROM token_items')).toEqual([{ n: 50 }]);
  });

  it('groups concurrent submissions into few transactions and settles each', async () => {
    let transactions = 0;
    const writer = new BatchWriter<number>(database, async (statements, values) => {
      transactions += 1;
      for (const value of values) await statements.query('INSERT INTO token_items (value) VALUES (?)', [value]);
    });
    await Promise.all(Array.from({ length: 500 }, (_, index) => writer.submit(index)));
    expect(await database.manager.query('SELECT COUNT(*) AS n FROM token_items')).toEqual([{ n: 500 }]);
    expect(transactions).toBeLessThan(10);
  });

  it('rejects every submission of a failed batch and keeps none of it', async () => {
    const writer = new BatchWriter<number>(database, async (statements, values) => {
      for (const value of values) await statements.query('INSERT INTO token_items (value) VALUES (?)', [value]);
    });
    const results = await Promise.allSettled([writer.submit(1), writer.submit(1)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await database.manager.query('SELECT COUNT(*) AS n FROM token_items')).toEqual([{ n: 0 }]);
  });
});
