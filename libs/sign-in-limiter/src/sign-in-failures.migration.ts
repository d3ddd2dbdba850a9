import { QueryRunner } from 'typeorm';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable } from '@keymint/persistence';
import { SIGN_IN_FAILURES_TABLE } from './stored-failure-counts';

/**
 * The table of StoredFailureCounts, created on both stores so that they keep one schema; only PostgreSQL
 * uses it (a single SQLite instance keeps its counts in memory).
 */
export async function createSignInFailuresTable(queryRunner: QueryRunner): Promise<void> {
  await createPrefixedTable(
    queryRunner,
    {
      name: SIGN_IN_FAILURES_TABLE,
      columns: [
        { name: 'key', type: 'varchar', length: '64', isPrimary: true },
        { name: 'windowEndsAt', type: bigintColumnType(queryRunner) },
        { name: 'failures', type: 'integer' },
      ],
    },
    [{ columns: ['windowEndsAt'] }],
  );
}

export async function dropSignInFailuresTable(queryRunner: QueryRunner): Promise<void> {
  await dropPrefixedTable(queryRunner, SIGN_IN_FAILURES_TABLE);
}
