import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { inListChunks, quotedTable, SqlParams } from './sql-params';

/**
 * `DELETE` of the rows whose `column` holds one of `keys`, in `IN` lists of a
 * few sizes (one compiled statement per size). The housekeeping jobs first
 * read the keys of a bounded chunk, then delete them with this: the same SQL
 * on SQLite and PostgreSQL, which have no common `DELETE … LIMIT`.
 */
export async function deleteRows<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, column: string, keys: readonly unknown[]): Promise<void> {
  const table = quotedTable(manager.connection, target);
  const quotedColumn = manager.connection.driver.escape(column);
  for (const chunk of inListChunks(keys)) {
    const params = new SqlParams(manager.connection);
    await manager.query(`DELETE FROM ${table} WHERE ${quotedColumn} IN (${params.inList(chunk)})`, params.values);
  }
}
