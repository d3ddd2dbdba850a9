import { DataSource } from 'typeorm';
import { migrationTestStore } from '../../../test/support/postgres';
import { insertKeyRow } from './key-rows';
import { Initial1700000000000 } from '../src/migrations/1700000000000-initial';
import { SignInFailures1700000000001 } from '../src/migrations/1700000000001-sign-in-failures';
import { ConsumerSecrets1700000000002 } from '../src/migrations/1700000000002-consumer-secrets';
import { ClientAuthenticationMethods1700000000003 } from '../src/migrations/1700000000003-client-authentication-methods';
import { KeyResources1700000000004 } from '../src/migrations/1700000000004-key-resources';

const BEFORE = [Initial1700000000000, SignInFailures1700000000001, ConsumerSecrets1700000000002, ClientAuthenticationMethods1700000000003];

/**
 * The upgrade that gives keys their resources (RFC 8707): every existing key lists none, so its tokens keep
 * the consumer key as their audience; a key written afterwards keeps its list; and back down again.
 */
describe.each(['SQLite', 'PostgreSQL'] as const)('the key-resources migration (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'registry');
  /** The PRODUCTION key of the older release, or its SANDBOX sibling. */
  const key = (keyType: 'PRODUCTION' | 'SANDBOX') =>
    keyType === 'PRODUCTION' ? { consumerKey: 'key-PRODUCTION' } : { keyMappingId: '6c1b4d2f-3e5a-4b7c-9d0e-1f2a3b4c5d6e', keyType, consumerKey: 'key-SANDBOX' };
  const keys = async (dataSource: DataSource) =>
    (await dataSource.createQueryBuilder().select('*').from('registry_oauth_keys', 'k').orderBy('"keyType"').getRawMany()) as Array<Record<string, unknown>>;

  it('gives every existing key no resources, keeps the ones written later, and drops the column on the way down', async () => {
    if (skipped()) return;
    const before = await open(BEFORE);
    await insertKeyRow(before, key('PRODUCTION'));
    await before.destroy();

    const after = await open([...BEFORE, KeyResources1700000000004]);
    try {
      expect((await keys(after)).map((row) => [row.consumerKey, row.resources])).toEqual([['key-PRODUCTION', '[]']]);
      const resources = JSON.stringify(['https://api.example.com/orders', 'urn:example:billing']);
      await insertKeyRow(after, { ...key('SANDBOX'), resources });
      expect((await keys(after)).map((row) => [row.consumerKey, row.resources])).toEqual([
        ['key-PRODUCTION', '[]'],
        ['key-SANDBOX', resources],
      ]);

      await after.undoLastMigration({ transaction: 'each' });
      const restored = await keys(after);
      expect(restored.map((row) => row.consumerKey)).toEqual(['key-PRODUCTION', 'key-SANDBOX']);
      expect(Object.keys(restored[0])).not.toContain('resources');
      // SQLite drops a column by copying the table: the unique indexes must come along.
      const indices = (await after.createQueryRunner().getTable('registry_oauth_keys'))!.indices;
      expect(indices.filter((index) => index.isUnique).map((index) => index.columnNames.join(',')).sort()).toEqual(['applicationId,keyType', 'consumerKey']);
    } finally {
      await after.destroy();
    }
  });
});
