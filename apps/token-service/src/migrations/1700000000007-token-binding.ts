import { MigrationInterface, QueryRunner } from 'typeorm';
import { tableName } from '@keymint/persistence';

/**
 * What a token is for and whom it is bound to (docs/token-api.md, "Audience and sender-constrained tokens"):
 * - `audience`: the resources (RFC 8707) it was granted for, space-joined; null: the consumer key, as before;
 * - `cnfJkt`, `cnfX5t`: the SHA-256 thumbprint of the DPoP key (RFC 9449) or client certificate (RFC 8705)
 *   it is bound to; null: a bearer token, as every token before.
 * Plain ALTER TABLE, on SQLite too: TypeORM's addColumn would copy the whole table there.
 */
export class TokenBinding1700000000007 implements MigrationInterface {
  name = 'TokenBinding1700000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'tokens');
    await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "audience" text NULL`);
    await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "cnfJkt" varchar(64) NULL`);
    await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "cnfX5t" varchar(64) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'tokens');
    for (const column of ['cnfX5t', 'cnfJkt', 'audience']) await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
  }
}
