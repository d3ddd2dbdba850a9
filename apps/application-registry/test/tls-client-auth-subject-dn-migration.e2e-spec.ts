import { DataSource } from 'typeorm';
import { migrationTestStore } from '../../../test/support/postgres';
import { insertKeyRow, KEY_ROW_MAPPING_ID } from './key-rows';
import { Initial1700000000000 } from '../src/migrations/1700000000000-initial';
import { SignInFailures1700000000001 } from '../src/migrations/1700000000001-sign-in-failures';
import { ConsumerSecrets1700000000002 } from '../src/migrations/1700000000002-consumer-secrets';
import { ClientAuthenticationMethods1700000000003 } from '../src/migrations/1700000000003-client-authentication-methods';
import { TlsClientAuthSubjectDn1700000000006 } from '../src/migrations/1700000000006-tls-client-auth-subject-dn';

const BEFORE = [Initial1700000000000, SignInFailures1700000000001, ConsumerSecrets1700000000002, ClientAuthenticationMethods1700000000003];

/** The upgrade that gives keys a subject DN for tls_client_auth: every existing key has none and keeps its methods; and back down. */
describe.each(['SQLite', 'PostgreSQL'] as const)('the tls_client_auth subject DN migration (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'registry');
  const keys = (dataSource: DataSource): Promise<Array<Record<string, unknown>>> =>
    dataSource.createQueryBuilder().select('*').from('registry_oauth_keys', 'k').getRawMany();

  it('adds an empty tlsClientAuthSubjectDn to every key, and takes it away again', async () => {
    if (skipped()) return;
    const before = await open(BEFORE);
    await insertKeyRow(before, { tokenEndpointAuthMethods: '["private_key_jwt"]', jwks: '{"keys":[]}' });
    await before.destroy();

    const after = await open([...BEFORE, TlsClientAuthSubjectDn1700000000006]);
    try {
      expect(await keys(after)).toEqual([
        expect.objectContaining({ keyMappingId: KEY_ROW_MAPPING_ID, tokenEndpointAuthMethods: '["private_key_jwt"]', tlsClientAuthSubjectDn: null }),
      ]);
      await after.createQueryBuilder().update('registry_oauth_keys').set({ tlsClientAuthSubjectDn: 'CN=client-1,O=Example' }).execute();
      expect((await keys(after))[0].tlsClientAuthSubjectDn).toBe('CN=client-1,O=Example');

      await after.undoLastMigration({ transaction: 'each' });
      const [restored] = await keys(after);
      expect(Object.keys(restored)).not.toContain('tlsClientAuthSubjectDn');
      expect(restored).toMatchObject({ keyMappingId: KEY_ROW_MAPPING_ID, tokenEndpointAuthMethods: '["private_key_jwt"]' });
    } finally {
      await after.destroy();
    }
  });
});
