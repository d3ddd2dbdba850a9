import { MigrationInterface, QueryRunner } from 'typeorm';
import { createSignInFailuresTable, dropSignInFailuresTable } from '@keymint/sign-in-limiter';

/** Failed client authentications counted where token-service replicas on PostgreSQL meet (docs/security.md). */
export class SignInFailures1700000000004 implements MigrationInterface {
  name = 'SignInFailures1700000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createSignInFailuresTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropSignInFailuresTable(queryRunner);
  }
}
