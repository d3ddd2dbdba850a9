import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { createPrefixedTable, dropPrefixedTable, SqlParams, tableName } from '@keymint/persistence';

/**
 * Tokens are found by the row id they carry (opaque tokens start with it, JWTs
 * name it in `jti`), so the unique index over token hashes goes: its entries
 * are random, and writing them cost half of every group commit, more as the
 * store grew. Opaque tokens issued before carry no id; the hashes of those
 * not yet expired, and of every refresh token (presenting a rotated one, even
 * expired, revokes its family), move to a table of their own, where they are
 * still found.
 */
export class TokenIdLookup1700000000002 implements MigrationInterface {
  name = 'TokenIdLookup1700000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const tokens = tableName(queryRunner.connection, 'tokens');
    const legacy = tableName(queryRunner.connection, 'legacy_token_hashes');
    await createPrefixedTable(queryRunner, {
      name: 'legacy_token_hashes',
      columns: [
        { name: 'tokenHash', type: 'varchar', length: '64', isPrimary: true },
        { name: 'tokenId', type: 'varchar', length: '36' },
      ],
    });
    // Opaque ones only: a JWT names its row in `jti`; every refresh token is opaque.
    const params = new SqlParams(queryRunner.connection);
    await queryRunner.query(
      `INSERT INTO "${legacy}" ("tokenHash", "tokenId") SELECT "tokenHash", "id" FROM "${tokens}" WHERE ("tokenType" = 'OAUTH' AND "expiresAt" > ${params.add(Date.now())}) OR "kind" = 'refresh'`,
      params.values,
    );
    await queryRunner.dropIndex(tokens, `IDX_${tokens}_tokenHash`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tokens = tableName(queryRunner.connection, 'tokens');
    await queryRunner.createIndex(tokens, new TableIndex({ name: `IDX_${tokens}_tokenHash`, columnNames: ['tokenHash'], isUnique: true }));
    await dropPrefixedTable(queryRunner, 'legacy_token_hashes');
  }
}
