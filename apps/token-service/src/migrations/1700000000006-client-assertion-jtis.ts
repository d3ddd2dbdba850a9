import { MigrationInterface, QueryRunner } from 'typeorm';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable } from '@keymint/persistence';

/** The table of JtiReplays (oauth2/jti-replays.ts): the used ids of client assertions and, since, of DPoP proofs. */
export const ASSERTION_JTIS_TABLE = 'client_assertion_jtis';

/**
 * The ids of client assertions (private_key_jwt) already used, where token-service replicas on PostgreSQL
 * meet; created on both stores so that they keep one schema (a single SQLite instance keeps them in memory).
 */
export class ClientAssertionJtis1700000000006 implements MigrationInterface {
  name = 'ClientAssertionJtis1700000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createPrefixedTable(
      queryRunner,
      {
        name: ASSERTION_JTIS_TABLE,
        columns: [
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expiresAt', type: bigintColumnType(queryRunner) },
        ],
      },
      [{ columns: ['expiresAt'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropPrefixedTable(queryRunner, ASSERTION_JTIS_TABLE);
  }
}
