import { MigrationInterface, QueryRunner } from 'typeorm';
import { tableName } from '@keymint/persistence';

/**
 * PostgreSQL: the outbox's message bodies are compressed with lz4 instead of the default pglz. A pack of a
 * group commit's token events is a few KB of JSON, above the size PostgreSQL compresses at, and each is
 * written, read once by the relay and deleted: pglz made the outbox INSERT the costliest statement per token
 * on the server (docs/performance.md, "Where PostgreSQL's time goes per token"). Only values written from then
 * on change. A server without lz4 (built without it, or before PostgreSQL 14, which has no per-column
 * compression) keeps the default. SQLite does not compress: nothing to do there.
 */
export class OutboxLz41700000000009 implements MigrationInterface {
  name = 'OutboxLz41700000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await setBodyCompression(queryRunner, 'lz4');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await setBodyCompression(queryRunner, 'DEFAULT');
  }
}

/**
 * The change takes the outbox's ACCESS EXCLUSIVE lock for a moment, and while it waits for the lock every writer of
 * the outbox waits behind it (the replicas of the release before still issuing tokens during a rolling upgrade). So
 * it waits 200 ms at a time, at most 25 times a fifth of a second apart, and fails the start only then.
 */
async function setBodyCompression(queryRunner: QueryRunner, method: 'lz4' | 'DEFAULT'): Promise<void> {
  if (queryRunner.connection.options.type !== 'postgres') return;
  const [{ server_version_num: version }] = (await queryRunner.query('SHOW server_version_num')) as Array<{ server_version_num: string }>;
  if (Number(version) < 140000) return;
  const outbox = tableName(queryRunner.connection, 'outbox');
  await queryRunner.query(`
    DO $$
    DECLARE
      attempts int := 0;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) THEN
        RETURN;
      END IF;
      SET LOCAL lock_timeout = '200ms';
      LOOP
        BEGIN
          ALTER TABLE "${outbox}" ALTER COLUMN "body" SET COMPRESSION ${method};
          RETURN;
        EXCEPTION WHEN lock_not_available THEN
          attempts := attempts + 1;
          IF attempts >= 25 THEN
            RAISE;
          END IF;
          PERFORM pg_sleep(0.2);
        END;
      END LOOP;
    END $$`);
}
