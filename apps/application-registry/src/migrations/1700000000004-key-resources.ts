import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { tableName } from '@keymint/persistence';

/** The resources (RFC 8707) each key's tokens may be asked for: every existing key lists none, so its tokens keep the consumer key as their audience. */
export class KeyResources1700000000004 implements MigrationInterface {
  name = 'KeyResources1700000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'oauth_keys');
    await queryRunner.addColumn(table, new TableColumn({ name: 'resources', type: 'text', isNullable: false, default: `'[]'` }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(tableName(queryRunner.connection, 'oauth_keys'), 'resources');
  }
}
