import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, Entity, MigrationInterface, PrimaryGeneratedColumn, QueryRunner } from 'typeorm';
import { openDataSource } from './data-source';
import { Database } from './database';
import { insertRows } from './insert-rows';
import { selectRows } from './select-rows';
import { createPrefixedTable } from './migration-helpers';
import { bigintAsNumber, jsonText } from './transformers';

@Entity('samples')
class Sample {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 20 })
  name: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  at: number;

  @Column({ type: 'text', transformer: jsonText, nullable: true })
  tags: string[] | null;
}

class Samples1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner) {
    await createPrefixedTable(queryRunner, {
      name: 'samples',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'name', type: 'varchar', length: '20' },
        { name: 'at', type: 'integer' },
        { name: 'tags', type: 'text', isNullable: true },
      ],
    });
  }
  async down() {}
}

describe('insertRows', () => {
  let dir: string;
  let database: Database;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-insert-'));
    database = new Database(await openDataSource({ service: 'token', dataDir: dir, entities: [Sample], migrations: [Samples1700000000000] }));
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores rows as the entity describes them (prefix, transformers, generated ids), in statements of many rows', async () => {
    const rows = Array.from({ length: 450 }, (_, index) => ({ name: `n${index}`, at: 1_700_000_000_000 + index, tags: index % 2 ? ['a', 'b'] : null }));
    await database.transaction((manager) => insertRows(manager, Sample, rows));
    const stored = await database.manager.find(Sample, { order: { id: 'ASC' } });
    expect(stored).toHaveLength(450);
    expect(stored[0]).toEqual({ id: 1, name: 'n0', at: 1_700_000_000_000, tags: null });
    expect(stored[449]).toEqual({ id: 450, name: 'n449', at: 1_700_000_000_449, tags: ['a', 'b'] });
  });

  it('uses a few statement shapes whatever the row count, so compiled statements are reused', async () => {
    const statements: string[] = [];
    await database.transaction(async (manager) => {
      const query = manager.query.bind(manager);
      manager.query = ((sql: string, parameters?: unknown[]) => {
        statements.push(sql);
        return query(sql, parameters);
      }) as typeof manager.query;
      for (let count = 1; count <= 130; count++) {
        await insertRows(manager, Sample, Array.from({ length: count }, (_, index) => ({ name: `c${count}-${index}`, at: index, tags: null })));
      }
    });
    expect(new Set(statements).size).toBe(8);
    expect(await database.manager.count(Sample)).toBe((130 * 131) / 2);
  });

  it('reads rows back as find does (selectRows: entity instances, transformers applied)', async () => {
    await database.transaction((manager) =>
      insertRows(manager, Sample, [
        { name: 'one', at: 1_700_000_000_001, tags: ['x'] },
        { name: 'two', at: 1_700_000_000_002, tags: null },
        { name: 'two', at: 1_700_000_000_003, tags: ['y', 'z'] },
      ]),
    );
    const byName = (name: string, limit?: number) => selectRows(database.manager, Sample, (params) => `"name" = ${params.add(name)}`, limit);
    const [one] = await byName('one', 1);
    expect(one).toBeInstanceOf(Sample);
    expect(one).toEqual(await database.manager.findOne(Sample, { where: { name: 'one' } }));
    expect(await byName('two')).toHaveLength(2);
    expect(await byName('two', 1)).toHaveLength(1);
    expect(await byName('none')).toEqual([]);
  });

  it('does nothing for no rows', async () => {
    await database.transaction((manager) => insertRows(manager, Sample, []));
    expect(await database.manager.count(Sample)).toBe(0);
  });
});
