import { DataSource } from 'typeorm';
import { migrationTestStore } from '../../../test/support/postgres';
import { insertKeyRow, KEY_ROW_MAPPING_ID } from './key-rows';
import { OAuthKeyEntity } from '../src/keys/oauth-key.entity';
import { Initial1700000000000 } from '../src/migrations/1700000000000-initial';
import { SignInFailures1700000000001 } from '../src/migrations/1700000000001-sign-in-failures';
import { ConsumerSecrets1700000000002 } from '../src/migrations/1700000000002-consumer-secrets';
import { ClientAuthenticationMethods1700000000003 } from '../src/migrations/1700000000003-client-authentication-methods';
import { KeyResources1700000000004 } from '../src/migrations/1700000000004-key-resources';
import { RequireDpop1700000000005 } from '../src/migrations/1700000000005-require-dpop';

const BEFORE = [Initial1700000000000, SignInFailures1700000000001, ConsumerSecrets1700000000002, ClientAuthenticationMethods1700000000003, KeyResources1700000000004];

/** The upgrade that adds `requireDpop`: no existing key requires DPoP, a key can be set to, and back down again. */
describe.each(['SQLite', 'PostgreSQL'] as const)('the requireDpop migration (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'registry');
  const columnsOf = async (dataSource: DataSource) => (await dataSource.createQueryRunner().getTable('registry_oauth_keys'))!.columns.map((column) => column.name);

  it('leaves every existing key without the requirement, reads it back as a boolean, and drops it again', async () => {
    if (skipped()) return;
    const before = await open(BEFORE);
    await insertKeyRow(before);
    await before.destroy();

    const after = await open([...BEFORE, RequireDpop1700000000005], [OAuthKeyEntity]);
    try {
      // Through the entity, as the registry reads it: a boolean on both stores (SQLite keeps 0/1). Its columns of
      // later migrations are not there yet, so only this one is read.
      const keys = after.getRepository(OAuthKeyEntity);
      const requireDpop = async () =>
        (await keys.findOneOrFail({ where: { keyMappingId: KEY_ROW_MAPPING_ID }, select: { keyMappingId: true, requireDpop: true } })).requireDpop;
      expect(await requireDpop()).toBe(false);
      await keys.update({ keyMappingId: KEY_ROW_MAPPING_ID }, { requireDpop: true });
      expect(await requireDpop()).toBe(true);

      await after.undoLastMigration({ transaction: 'each' });
      expect(await columnsOf(after)).not.toContain('requireDpop');
      // SQLite drops a column by copying the table: the unique indexes must come along.
      const indices = (await after.createQueryRunner().getTable('registry_oauth_keys'))!.indices;
      expect(indices.filter((index) => index.isUnique).map((index) => index.columnNames.join(',')).sort()).toEqual(['applicationId,keyType', 'consumerKey']);
      const [row] = (await after.query(`SELECT "consumerKey", "tokenEndpointAuthMethods" FROM registry_oauth_keys`)) as Array<Record<string, unknown>>;
      expect(row).toEqual({ consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs', tokenEndpointAuthMethods: '["client_secret_basic","client_secret_post"]' });
    } finally {
      await after.destroy();
    }
  });
});
