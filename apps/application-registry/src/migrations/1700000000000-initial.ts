import { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTables, dropMessagingTables } from '@keymint/messaging';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable } from '@keymint/persistence';

export class Initial1700000000000 implements MigrationInterface {
  name = 'Initial1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createMessagingTables(queryRunner);
    const bigint = bigintColumnType(queryRunner);
    await createPrefixedTable(
      queryRunner,
      {
        name: 'users',
        columns: [
          { name: 'userId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'passwordHash', type: 'varchar', length: '255' },
          { name: 'roles', type: 'text' },
          { name: 'createdAt', type: bigint },
          { name: 'updatedAt', type: bigint },
        ],
      },
      [{ columns: ['username'], unique: true }],
    );
    await createPrefixedTable(queryRunner, {
      name: 'scopes',
      columns: [
        { name: 'name', type: 'varchar', length: '255', isPrimary: true },
        { name: 'description', type: 'text' },
        { name: 'bindings', type: 'text' },
        { name: 'updatedAt', type: bigint },
      ],
    });
    await createPrefixedTable(
      queryRunner,
      {
        name: 'applications',
        columns: [
          { name: 'applicationId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'nameKey', type: 'varchar', length: '100' },
          { name: 'owner', type: 'varchar', length: '64' },
          { name: 'throttlingPolicy', type: 'varchar', length: '20' },
          { name: 'description', type: 'text' },
          { name: 'tokenType', type: 'varchar', length: '10' },
          { name: 'attributes', type: 'text' },
          { name: 'status', type: 'varchar', length: '20' },
          { name: 'createdAt', type: bigint },
          { name: 'updatedAt', type: bigint },
        ],
      },
      [{ columns: ['owner', 'nameKey'], unique: true }],
    );
    await createPrefixedTable(
      queryRunner,
      {
        name: 'oauth_keys',
        columns: [
          { name: 'keyMappingId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'applicationId', type: 'varchar', length: '36' },
          { name: 'keyType', type: 'varchar', length: '10' },
          { name: 'consumerKey', type: 'varchar', length: '64' },
          { name: 'consumerSecretHash', type: 'varchar', length: '64' },
          { name: 'grantTypes', type: 'text' },
          { name: 'scopes', type: 'text' },
          { name: 'validityTime', type: 'integer' },
          { name: 'callbackUrl', type: 'text' },
          { name: 'createdAt', type: bigint },
          { name: 'updatedAt', type: bigint },
        ],
      },
      [
        { columns: ['consumerKey'], unique: true },
        { columns: ['applicationId', 'keyType'], unique: true },
      ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of ['oauth_keys', 'applications', 'scopes', 'users']) await dropPrefixedTable(queryRunner, name);
    await dropMessagingTables(queryRunner);
  }
}
