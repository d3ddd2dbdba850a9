import { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTables, dropMessagingTables } from '@keymint/messaging';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable } from '@keymint/persistence';

const ROLLUP_TABLES = ['issuance_minute', 'issuance_hour', 'issuance_day'];
const USER_ACTIVITY_TABLES = ['user_activity_minute', 'user_activity_hour', 'user_activity_day'];

export class Initial1700000000000 implements MigrationInterface {
  name = 'Initial1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createMessagingTables(queryRunner);
    const bigint = bigintColumnType(queryRunner);
    for (const name of ROLLUP_TABLES) {
      await createPrefixedTable(queryRunner, {
        name,
        columns: [
          { name: 'bucket', type: bigint, isPrimary: true },
          { name: 'applicationId', type: 'varchar', length: '100', isPrimary: true },
          { name: 'keyType', type: 'varchar', length: '20', isPrimary: true },
          { name: 'grantType', type: 'varchar', length: '30', isPrimary: true },
          { name: 'minted', type: 'integer', default: 0 },
          { name: 'served', type: 'integer', default: 0 },
        ],
      });
    }
    await createPrefixedTable(queryRunner, {
      name: 'applications',
      columns: [
        { name: 'applicationId', type: 'varchar', length: '100', isPrimary: true },
        { name: 'name', type: 'varchar', length: '255', isNullable: true },
        { name: 'owner', type: 'varchar', length: '255', isNullable: true },
        { name: 'deletedAt', type: bigint, isNullable: true },
        { name: 'lastEventAt', type: bigint, default: 0 },
      ],
    });
    await createPrefixedTable(
      queryRunner,
      {
        name: 'application_users',
        columns: [
          { name: 'applicationId', type: 'varchar', length: '100', isPrimary: true },
          { name: 'username', type: 'varchar', length: '255', isPrimary: true },
          { name: 'tokenCount', type: 'integer', default: 0 },
          { name: 'firstSeen', type: bigint },
          { name: 'lastSeen', type: bigint },
        ],
      },
      [{ columns: ['applicationId', 'tokenCount'] }, { columns: ['lastSeen'] }],
    );
    for (const name of USER_ACTIVITY_TABLES) {
      await createPrefixedTable(
        queryRunner,
        {
          name,
          columns: [
            { name: 'bucket', type: bigint, isPrimary: true },
            { name: 'applicationId', type: 'varchar', length: '100', isPrimary: true },
            { name: 'username', type: 'varchar', length: '255', isPrimary: true },
            { name: 'tokenCount', type: 'integer', default: 0 },
          ],
        },
        // The lookup of one pair's activity in a range (registered users over ranges its tokens span).
        [{ columns: ['applicationId', 'username', 'bucket'] }],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of [...USER_ACTIVITY_TABLES, 'application_users', 'applications', ...ROLLUP_TABLES]) await dropPrefixedTable(queryRunner, name);
    await dropMessagingTables(queryRunner);
  }
}
