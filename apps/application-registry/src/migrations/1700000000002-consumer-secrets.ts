import { randomUUID } from 'node:crypto';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable } from '@keymint/persistence';

/**
 * Several consumer secrets per key (docs/registry.md, "Consumer secrets"): each key's single secret hash
 * becomes its first secret row, with no expiry, so every existing client goes on working unchanged.
 */
export class ConsumerSecrets1700000000002 implements MigrationInterface {
  name = 'ConsumerSecrets1700000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const bigint = bigintColumnType(queryRunner);
    const prefix = queryRunner.connection.options.entityPrefix ?? '';
    await createPrefixedTable(
      queryRunner,
      {
        name: 'oauth_key_secrets',
        columns: [
          { name: 'secretId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'keyMappingId', type: 'varchar', length: '36' },
          { name: 'secretHash', type: 'varchar', length: '64' },
          { name: 'description', type: 'text' },
          { name: 'createdAt', type: bigint },
          { name: 'expiresAt', type: bigint, isNullable: true },
          { name: 'lastUsedAt', type: bigint, isNullable: true },
        ],
      },
      [{ columns: ['keyMappingId'] }],
    );
    const keys: Array<{ keyMappingId: string; consumerSecretHash: string; createdAt: string | number }> = await queryRunner.manager
      .createQueryBuilder()
      .select(['"keyMappingId"', '"consumerSecretHash"', '"createdAt"'])
      .from(`${prefix}oauth_keys`, 'k')
      .getRawMany();
    for (const key of keys) {
      await queryRunner.manager
        .createQueryBuilder()
        .insert()
        .into(`${prefix}oauth_key_secrets`)
        .values({
          secretId: randomUUID(),
          keyMappingId: key.keyMappingId,
          secretHash: key.consumerSecretHash,
          description: '',
          createdAt: Number(key.createdAt),
          expiresAt: null,
          lastUsedAt: null,
        })
        .execute();
    }
    await queryRunner.dropColumn(`${prefix}oauth_keys`, 'consumerSecretHash');
  }

  /** Back to one secret per key: each key keeps its newest secret. */
  async down(queryRunner: QueryRunner): Promise<void> {
    const prefix = queryRunner.connection.options.entityPrefix ?? '';
    await queryRunner.addColumn(`${prefix}oauth_keys`, new TableColumn({ name: 'consumerSecretHash', type: 'varchar', length: '64', default: "''" }));
    const secrets: Array<{ keyMappingId: string; secretHash: string }> = await queryRunner.manager
      .createQueryBuilder()
      .select(['"keyMappingId"', '"secretHash"'])
      .from(`${prefix}oauth_key_secrets`, 's')
      .orderBy('"createdAt"', 'ASC')
      .getRawMany();
    for (const secret of secrets) {
      await queryRunner.manager
        .createQueryBuilder()
        .update(`${prefix}oauth_keys`)
        .set({ consumerSecretHash: secret.secretHash })
        .where('"keyMappingId" = :keyMappingId', { keyMappingId: secret.keyMappingId })
        .execute();
    }
    await dropPrefixedTable(queryRunner, 'oauth_key_secrets');
  }
}
