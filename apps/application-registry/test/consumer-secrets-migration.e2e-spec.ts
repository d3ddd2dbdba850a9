import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { consumerSecretMatches } from '@keymint/contracts';
import { migrationTestStore } from '../../../test/support/postgres';
import { insertKeyRow, KEY_ROW_MAPPING_ID } from './key-rows';
import { Initial1700000000000 } from '../src/migrations/1700000000000-initial';
import { SignInFailures1700000000001 } from '../src/migrations/1700000000001-sign-in-failures';
import { ConsumerSecrets1700000000002 } from '../src/migrations/1700000000002-consumer-secrets';

const SECRET = 'the-secret-an-existing-client-keeps-using';

/**
 * The upgrade from one secret per key: an existing key's secret becomes its first secret row, with no
 * expiry, so its client goes on authenticating with the same secret; and back down again.
 */
describe.each(['SQLite', 'PostgreSQL'] as const)('the consumer-secrets migration (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'registry');
  const columnsOf = async (dataSource: DataSource, table: string) =>
    (await dataSource.createQueryRunner().getTable(table))!.columns.map((column) => column.name);

  it("moves each key's secret into its first secret row, and back", async () => {
    if (skipped()) return;
    const before = await open([Initial1700000000000, SignInFailures1700000000001]);
    await insertKeyRow(before, { consumerSecretHash: createHash('sha256').update(SECRET).digest('hex') });
    await before.destroy();

    const after = await open([Initial1700000000000, SignInFailures1700000000001, ConsumerSecrets1700000000002]);
    try {
      const rows: Array<Record<string, unknown>> = await after.createQueryBuilder().select('*').from('registry_oauth_key_secrets', 's').getRawMany();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ keyMappingId: KEY_ROW_MAPPING_ID, description: '', expiresAt: null, lastUsedAt: null });
      expect(Number(rows[0].createdAt)).toBe(1_700_000_000_000);
      expect(consumerSecretMatches(SECRET, rows[0].secretHash as string)).toBe(true);
      // One place for a secret: the key's own column is gone, its other columns and its row stay.
      expect(await columnsOf(after, 'registry_oauth_keys')).not.toContain('consumerSecretHash');
      const keys: Array<Record<string, unknown>> = await after.createQueryBuilder().select('*').from('registry_oauth_keys', 'k').getRawMany();
      expect(keys).toEqual([expect.objectContaining({ keyMappingId: KEY_ROW_MAPPING_ID, consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs' })]);
      // SQLite drops a column by copying the table: the unique indexes must come along.
      const indices = (await after.createQueryRunner().getTable('registry_oauth_keys'))!.indices;
      expect(indices.filter((index) => index.isUnique).map((index) => index.columnNames.join(',')).sort()).toEqual(['applicationId,keyType', 'consumerKey']);

      await after.undoLastMigration({ transaction: 'each' });
      const restored: Array<Record<string, unknown>> = await after.createQueryBuilder().select('*').from('registry_oauth_keys', 'k').getRawMany();
      expect(consumerSecretMatches(SECRET, restored[0].consumerSecretHash as string)).toBe(true);
    } finally {
      await after.destroy();
    }
  });
});
