import { QueryRunner, Table, TableIndex } from 'typeorm';
import { TableColumnOptions } from 'typeorm/schema-builder/options/TableColumnOptions';

/**
 * The column type of epoch-millisecond times (and other 64-bit integers) in a
 * migration: `bigint` on PostgreSQL, whose `integer` has 32 bits; `integer` on
 * SQLite, whose INTEGER already holds 64 bits and which the existing schemas use.
 */
export function bigintColumnType(queryRunner: QueryRunner): 'bigint' | 'integer' {
  return queryRunner.connection.options.type === 'postgres' ? 'bigint' : 'integer';
}

/** Creates a table with the data source's prefix; portable across SQLite and PostgreSQL. */
export async function createPrefixedTable(
  queryRunner: QueryRunner,
  table: { name: string; columns: TableColumnOptions[] },
  indices: Array<{ columns: string[]; unique?: boolean }> = [],
): Promise<void> {
  const prefix = queryRunner.connection.options.entityPrefix ?? '';
  const name = `${prefix}${table.name}`;
  await queryRunner.createTable(new Table({ name, columns: table.columns }), true);
  for (const index of indices) {
    await queryRunner.createIndex(
      name,
      new TableIndex({ name: `IDX_${name}_${index.columns.join('_')}`, columnNames: index.columns, isUnique: index.unique ?? false }),
    );
  }
}

export async function dropPrefixedTable(queryRunner: QueryRunner, name: string): Promise<void> {
  const prefix = queryRunner.connection.options.entityPrefix ?? '';
  await queryRunner.dropTable(`${prefix}${name}`, true);
}
