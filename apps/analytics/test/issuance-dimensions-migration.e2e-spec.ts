import { DataSource } from 'typeorm';
import { migrationTestStore } from '../../../test/support/postgres';
import { Initial1700000000000 } from '../src/migrations/1700000000000-initial';
import { IssuanceByClientAndBinding1700000000001 } from '../src/migrations/1700000000001-issuance-by-client-and-binding';

const BUCKET = 1_764_064_800_000;
const APPLICATION = '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11';

/**
 * The upgrade that counts tokens by client authentication and binding: the counts from before stay, under
 * `unknown` and `bearer`; each is then a key column of its own; and going back adds them together again.
 */
describe.each(['SQLite', 'PostgreSQL'] as const)('the migration of issuance rollups by client authentication and binding (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'analytics');
  const rows = async (dataSource: DataSource) =>
    ((await dataSource.query(`SELECT * FROM analytics_issuance_hour ORDER BY "grantType"`)) as Array<Record<string, unknown>>).map((row) => ({
      ...row,
      bucket: Number(row.bucket),
      minted: Number(row.minted),
      served: Number(row.served),
    }));
  const insert = (dataSource: DataSource, values: Record<string, unknown>) =>
    dataSource.createQueryBuilder().insert().into('analytics_issuance_hour').values(values).execute();
  const counted = { bucket: BUCKET, applicationId: APPLICATION, keyType: 'PRODUCTION' };

  it('keeps the counts from before under `unknown` and `bearer`, keys rows by both, and folds them back', async () => {
    if (skipped()) return;
    const before = await open([Initial1700000000000]);
    await insert(before, { ...counted, grantType: 'client_credentials', minted: 5, served: 9 });
    await insert(before, { ...counted, grantType: 'password', minted: 2, served: 2 });
    await before.destroy();

    const after = await open([Initial1700000000000, IssuanceByClientAndBinding1700000000001]);
    expect(await rows(after)).toEqual([
      { ...counted, grantType: 'client_credentials', clientAuthMethod: 'unknown', tokenBinding: 'bearer', minted: 5, served: 9 },
      { ...counted, grantType: 'password', clientAuthMethod: 'unknown', tokenBinding: 'bearer', minted: 2, served: 2 },
    ]);
    // Both are part of the key: the same application, bucket and grant by another method or binding is a row of its own.
    const signed = { ...counted, grantType: 'client_credentials', clientAuthMethod: 'private_key_jwt' };
    await insert(after, { ...signed, tokenBinding: 'bearer', minted: 1, served: 3 });
    await insert(after, { ...signed, tokenBinding: 'dpop', minted: 1, served: 1 });
    await expect(insert(after, { ...signed, tokenBinding: 'dpop', minted: 1, served: 1 })).rejects.toThrow();
    expect(await rows(after)).toHaveLength(4);

    await after.undoLastMigration({ transaction: 'each' });
    expect(await rows(after)).toEqual([
      { ...counted, grantType: 'client_credentials', minted: 7, served: 13 },
      { ...counted, grantType: 'password', minted: 2, served: 2 },
    ]);
    await after.destroy();
  });
});
