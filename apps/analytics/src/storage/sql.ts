import { EntityManager } from 'typeorm';
import { isPostgres, tableName } from '@keymint/persistence';

/** SQL parameter placeholders for the manager's driver: `$n` on PostgreSQL, `?` on SQLite. */
export class Params {
  readonly values: unknown[] = [];

  constructor(private readonly postgres: boolean) {}

  add(value: unknown): string {
    this.values.push(value);
    return this.postgres ? `$${this.values.length}` : '?';
  }

  list(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }
}

/** The prefixed, quoted table name (`"analytics_issuance_minute"`). */
export function table(manager: EntityManager, name: string): string {
  return `"${tableName(manager.connection, name)}"`;
}

export const quote = (column: string): string => `"${column}"`;

/**
 * Multi-row `INSERT … ON CONFLICT (key) DO …`, chunked to stay under the
 * drivers' parameter limits. `onConflict` gets the quoted table name to
 * reference the existing row (portable between SQLite and PostgreSQL).
 */
export async function upsertRows<Row>(
  manager: EntityManager,
  name: string,
  columns: readonly (keyof Row & string)[],
  keyColumns: readonly (keyof Row & string)[],
  rows: readonly Row[],
  onConflict: (existing: string) => string,
  chunkSize = 200,
): Promise<void> {
  const target = table(manager, name);
  const postgres = isPostgres(manager.connection);
  // Replicas upserting the same rows lock them in one global order, so their transactions cannot deadlock.
  const keyed = rows.map((row) => ({ row, key: keyColumns.map((column) => String(row[column])).join('\u0000') }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sorted = keyed.map(({ row }) => row);
  for (let start = 0; start < sorted.length; start += chunkSize) {
    const params = new Params(postgres);
    const values = sorted
      .slice(start, start + chunkSize)
      .map((row) => `(${params.list(columns.map((column) => row[column]))})`)
      .join(', ');
    const sql =
      `INSERT INTO ${target} (${columns.map(quote).join(', ')}) VALUES ${values} ` +
      `ON CONFLICT (${keyColumns.map(quote).join(', ')}) ${onConflict(target)}`;
    await manager.query(sql, params.values);
  }
}

/** Counters in a query result come back as strings from PostgreSQL. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}
