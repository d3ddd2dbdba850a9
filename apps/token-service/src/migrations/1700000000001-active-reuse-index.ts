import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { tableName } from '@keymint/persistence';

/**
 * The reuse-key index only holds tokens that are not revoked (a reusable token
 * the reuse slot replaces also loses its reuse key). Looking up a key's
 * current token (TOKEN_RENEW_PER_REQUEST supersedes it on every request) then
 * reads one entry instead of every token the key ever got.
 */
export class ActiveReuseIndex1700000000001 implements MigrationInterface {
  name = 'ActiveReuseIndex1700000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'tokens');
    await queryRunner.dropIndex(table, `IDX_${table}_reuseKey`);
    await queryRunner.createIndex(
      table,
      new TableIndex({ name: `IDX_${table}_reuseKey_active`, columnNames: ['reuseKey'], where: '"revokedAt" IS NULL AND "reuseKey" IS NOT NULL' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'tokens');
    await queryRunner.dropIndex(table, `IDX_${table}_reuseKey_active`);
    await queryRunner.createIndex(table, new TableIndex({ name: `IDX_${table}_reuseKey`, columnNames: ['reuseKey'] }));
  }
}
