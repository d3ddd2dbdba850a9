import { EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { SqlRunner } from './statements';
import { quotedTable, SqlParams } from './sql-params';

/**
 * `SELECT` of whole entities, without TypeORM's per-call query building and
 * hydration: around a one-row read, `findOne` cost ~85 µs of the event loop
 * (introspection went from 4.5k to 7.4k req/s without it). Column names and
 * value transformers come from the entity's metadata, so the objects are what
 * `find` would return. `where` builds the condition with the given parameters;
 * it quotes column names itself (`"tokenHash" = ${params.add(hash)}`).
 */
export async function selectRows<T extends ObjectLiteral>(
  manager: SqlRunner,
  target: EntityTarget<T>,
  where: (params: SqlParams) => string,
  limit?: number,
): Promise<T[]> {
  const metadata = manager.connection.getMetadata(target);
  const params = new SqlParams(manager.connection);
  const sql = `${selectFrom(manager, metadata, target)} WHERE ${where(params)}${limit === undefined ? '' : ` LIMIT ${Math.floor(limit)}`}`;
  const rows = (await manager.query(sql, params.values)) as Array<Record<string, unknown>>;
  return rows.map((row) => {
    const entity = metadata.create() as Record<string, unknown>;
    for (const column of metadata.columns) {
      const raw = row[column.propertyName];
      entity[column.propertyName] = column.transformer && !Array.isArray(column.transformer) ? column.transformer.from(raw) : raw;
    }
    return entity as T;
  });
}

/**
 * `SELECT <every column> FROM <table>` of an entity, made once per entity (its metadata belongs to one data
 * source, so to one SQL dialect): building it for every call was ~4% of an introspection's CPU.
 */
const selectFromTexts = new WeakMap<EntityMetadata, string>();

function selectFrom<T extends ObjectLiteral>(manager: SqlRunner, metadata: EntityMetadata, target: EntityTarget<T>): string {
  let text = selectFromTexts.get(metadata);
  if (text === undefined) {
    const driver = manager.connection.driver;
    text =
      `SELECT ${metadata.columns.map((column) => `${driver.escape(column.databaseName)} AS ${driver.escape(column.propertyName)}`).join(', ')} ` +
      `FROM ${quotedTable(manager.connection, target)}`;
    selectFromTexts.set(metadata, text);
  }
  return text;
}
