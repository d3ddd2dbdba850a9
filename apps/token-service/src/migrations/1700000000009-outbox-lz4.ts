import { MigrationInterface, QueryRunner } from 'typeorm';
import { tableName } from '@keymint/persistence';

/**
 * PostgreSQL: the outbox's message bodies are compressed with lz4 instead of the default pglz. A pack of a
 * group commit's token events is a few KB of JSON, above the size PostgreSQL compresses at, and each is
 * written, read once by the relay and deleted: pglz made the outbox INSERT the costliest statement per token
 * on the server (docs/performance.md, "Where PostgreSQL's time goes per token"). Only values written from then
 * on change; a server built without lz4 (or before PostgreSQL 14, which has no per-column compression) keeps
 * pglz. SQLite does not compress: nothing to do there.
 */
export class OutboxLz41700000000009 implements MigrationInterface {
  name = 'OutboxLz41700000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await setBodyCompression(queryRunner, 'lz4');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await setBodyCompression(queryRunner, 'pglz');
  }
}

async function setBodyCompression(queryRunner: QueryRunner, method: 'lz4' | 'pglz'): Promise<void> {
  if (queryRunner.connection.options.type !== 'postgres') return;
  const [{ server_version_num: version }] = (await queryRunner.query('SHOW server_version_num')) as Array<{ server_version_num: string }>;
  if (Number(version) < 140000) return;
  const outbox = tableName(queryRunner.connection, 'outbox');
  // A block of its own, so that a server without lz4 (feature_not_supported) leaves the migration's transaction usable.
  await queryRunner.query(
    `DO $$ BEGIN ALTER TABLE "${outbox}" ALTER COLUMN "body" SET COMPRESSION ${method}; EXCEPTION WHEN feature_not_supported THEN NULL; END $$`,
  );
}
