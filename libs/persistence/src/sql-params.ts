import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { isPostgres } from './data-source';

/** Longest `IN` list to pass to `inList` (a power of two, so it is never padded further). */
const IN_LIST_MAX = 512;

/** Values split into `IN` lists of at most IN_LIST_MAX, one statement each. */
export function inListChunks<T>(values: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < values.length; start += IN_LIST_MAX) chunks.push(values.slice(start, start + IN_LIST_MAX));
  return chunks;
}

/** SQL parameter placeholders for the store's driver: `$n` on PostgreSQL, `?` on SQLite, with the values in order. */
export class SqlParams {
  readonly values: unknown[] = [];
  private readonly postgres: boolean;

  constructor(dataSource: DataSource) {
    this.postgres = isPostgres(dataSource);
  }

  add(value: unknown): string {
    this.values.push(value);
    return this.postgres ? `$${this.values.length}` : '?';
  }

  list(values: readonly unknown[]): string {
    return values.map((value) => this.add(value)).join(', ');
  }

  /**
   * "is one of `values`": `= ANY($n)` with the values as one array parameter on
   * PostgreSQL (one statement text whatever their number, so it can be a
   * prepared statement), `IN (…)` as `inList` makes it on SQLite. Never empty.
   */
  anyOf(values: readonly unknown[]): string {
    return this.postgres ? `= ANY(${this.add(values)})` : `IN (${this.inList(values)})`;
  }

  /**
   * An `IN (…)` list padded to a power-of-two length with its last value, so a
   * statement has one of a few texts and the driver's statement cache keeps it
   * compiled (a text per list length meant compiling on almost every call).
   */
  inList(values: readonly unknown[]): string {
    let size = 1;
    while (size < values.length) size *= 2;
    return this.list([...values, ...Array<unknown>(size - values.length).fill(values[values.length - 1])]);
  }
}

/** An entity's table name as SQL: prefixed, quoted for the driver (each part of a schema-qualified path). */
export function quotedTable<T extends ObjectLiteral>(dataSource: DataSource, target: EntityTarget<T>): string {
  return dataSource
    .getMetadata(target)
    .tablePath.split('.')
    .map((part) => dataSource.driver.escape(part))
    .join('.');
}
