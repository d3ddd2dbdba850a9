import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { tableName } from '@keymint/persistence';

/** Whether a key's token requests must carry a DPoP proof (`requireDpop`): no existing key does. */
export class RequireDpop1700000000005 implements MigrationInterface {
  name = 'RequireDpop1700000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'oauth_keys');
    await queryRunner.addColumn(table, new TableColumn({ name: 'requireDpop', type: 'boolean', isNullable: false, default: false }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(tableName(queryRunner.connection, 'oauth_keys'), 'requireDpop');
  }
}
