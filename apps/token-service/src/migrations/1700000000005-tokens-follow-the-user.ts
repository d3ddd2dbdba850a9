import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { bigintColumnType, tableName } from '@keymint/persistence';

/**
 * Tokens follow their user (docs/token-api.md, "Users and their tokens"):
 * - an index over the user of live tokens, so that a password change, a role
 *   taken away or a deleted user revokes that user's tokens without reading
 *   the whole table (client_credentials tokens have no user: no entry);
 * - on refresh tokens, when their family began (REFRESH_TOKEN_MAX_LIFETIME
 *   counts from it) and the user's roles then (a refresh checks the key's
 *   current scope bindings against them).
 * A family from before begins at its oldest row, exact: the rows of a family
 * stay while any of its tokens is live (TokenPurger). Its roles are unknown
 * (null): a refresh then grants it no role-bound scope.
 * Plain ALTER TABLE, on SQLite too: TypeORM's addColumn would copy the whole
 * table there.
 */
const LIVE_USER_INDEX = 'username';

export class TokensFollowTheUser1700000000005 implements MigrationInterface {
  name = 'TokensFollowTheUser1700000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'tokens');
    await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "familyIssuedAt" ${bigintColumnType(queryRunner)} NULL`);
    await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "familyRoles" text NULL`);
    await queryRunner.query(
      `UPDATE "${table}" SET "familyIssuedAt" = "family"."issuedAt" ` +
        `FROM (SELECT "familyId", MIN("issuedAt") AS "issuedAt" FROM "${table}" WHERE "familyId" IS NOT NULL GROUP BY "familyId") AS "family" ` +
        `WHERE "${table}"."familyId" = "family"."familyId" AND "${table}"."kind" = 'refresh'`,
    );
    await queryRunner.createIndex(
      table,
      new TableIndex({ name: `IDX_${table}_${LIVE_USER_INDEX}_live`, columnNames: [LIVE_USER_INDEX], where: '"username" IS NOT NULL AND "revokedAt" IS NULL' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'tokens');
    await queryRunner.dropIndex(table, `IDX_${table}_${LIVE_USER_INDEX}_live`);
    await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "familyRoles"`);
    await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "familyIssuedAt"`);
  }
}
