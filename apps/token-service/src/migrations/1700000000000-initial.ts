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
        name: 'tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'tokenHash', type: 'varchar', length: '64' },
          { name: 'kind', type: 'varchar', length: '10' },
          { name: 'consumerKey', type: 'varchar', length: '200' },
          { name: 'applicationId', type: 'varchar', length: '100' },
          { name: 'keyType', type: 'varchar', length: '20' },
          { name: 'username', type: 'varchar', length: '200', isNullable: true },
          { name: 'scopes', type: 'text' },
          { name: 'grantType', type: 'varchar', length: '30' },
          { name: 'tokenType', type: 'varchar', length: '10' },
          { name: 'familyId', type: 'varchar', length: '36', isNullable: true },
          { name: 'issuedAt', type: bigint },
          { name: 'expiresAt', type: bigint },
          { name: 'revokedAt', type: bigint, isNullable: true },
          { name: 'revokeReason', type: 'varchar', length: '30', isNullable: true },
          { name: 'reuseKey', type: 'varchar', length: '500', isNullable: true },
          { name: 'encryptedToken', type: 'text', isNullable: true },
        ],
      },
      [
        { columns: ['tokenHash'], unique: true },
        { columns: ['consumerKey'] },
        { columns: ['applicationId'] },
        { columns: ['familyId'] },
        { columns: ['reuseKey'] },
      ],
    );
    await createPrefixedTable(queryRunner, {
      name: 'reuse_slots',
      columns: [
        { name: 'reuseKey', type: 'varchar', length: '500', isPrimary: true },
        { name: 'tokenId', type: 'varchar', length: '36' },
        { name: 'secretHash', type: 'varchar', length: '64' },
      ],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropPrefixedTable(queryRunner, 'reuse_slots');
    await dropPrefixedTable(queryRunner, 'tokens');
    await dropMessagingTables(queryRunner);
  }
}
