import { MigrationInterface, QueryRunner } from 'typeorm';
import { createSignInFailuresTable, dropSignInFailuresTable } from '@keymint/sign-in-limiter';

/** Users' failed sign-ins counted where registry replicas on PostgreSQL meet (docs/security.md). */
export class SignInFailures1700000000001 implements MigrationInterface {
  name = 'SignInFailures1700000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createSignInFailuresTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropSignInFailuresTable(queryRunner);
  }
}
