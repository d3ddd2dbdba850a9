import { insertValues, SqlRunner, tableName } from '@keymint/persistence';

/** The prefixed, quoted table name (`"analytics_issuance_minute"`). */
export function table(manager: Pick<SqlRunner, 'connection'>, name: string): string {
  return `"${tableName(manager.connection, name)}"`;
}

export const quote = (column: string): string => `"${column}"`;

/**
 * Multi-row `INSERT … ON CONFLICT (key) DO …`. `onConflict` gets the quoted
 * table name to reference the existing row (portable between SQLite and
 * PostgreSQL).
 */
export async function upsertRows<Row>(
  manager: SqlRunner,
  name: string,
  columns: readonly (keyof Row & string)[],
  keyColumns: readonly (keyof Row & string)[],
  rows: readonly Row[],
  onConflict: (existing: string) => string,
): Promise<void> {
  if (rows.length === 0) return;
  const target = table(manager, name);
  // Replicas upserting the same rows lock them in one global order, so their transactions cannot deadlock.
  const keyed = rows.map((row) => ({ row, key: keyColumns.map((column) => String(row[column])).join('\u0000') }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  await insertValues(
    manager,
    target,
    columns.map(quote),
    keyed.map(({ row }) => columns.map((column) => row[column])),
    `ON CONFLICT (${keyColumns.map(quote).join(', ')}) ${onConflict(target)}`,
  );
}

/** Counters in a query result come back as strings from PostgreSQL. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}
