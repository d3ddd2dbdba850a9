import { DataSource } from 'typeorm';
import { migrationTestStore } from '../../../test/support/postgres';
import { TOKEN_STORE_MIGRATIONS } from '../src/token-storage/token-store.schema';

const BEFORE = TOKEN_STORE_MIGRATIONS.slice(0, -1);

/** The upgrade that compresses the outbox's bodies with lz4 on PostgreSQL (a no-op on SQLite), and back. */
describe.each(['SQLite', 'PostgreSQL'] as const)('the outbox lz4 migration (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'token');
  // A pack's body: past the ~2 KB at which PostgreSQL compresses a value.
  const body = JSON.stringify(Array.from({ length: 60 }, (_, index) => ({ tokenId: `token-${index}`, scopes: 'default', grantType: 'client_credentials' })));
  const storedBody = async (dataSource: DataSource) => {
    await dataSource.query(`DELETE FROM token_outbox`);
    await dataSource.query(`INSERT INTO token_outbox ("eventId", "subject", "body", "createdAt") VALUES ('e-1', 'tokens.issued.v1', ${store === 'SQLite' ? '?' : '$1'}, 1)`, [body]);
    const compression =
      store === 'PostgreSQL' ? ((await dataSource.query(`SELECT pg_column_compression("body") AS method FROM token_outbox`)) as Array<{ method: string }>)[0].method : 'none';
    const [row] = (await dataSource.query(`SELECT "body" FROM token_outbox`)) as Array<{ body: string }>;
    return { compression, body: row.body };
  };

  it('stores new bodies compressed with lz4 on PostgreSQL, reads them back unchanged, and returns to pglz when undone', async () => {
    if (skipped()) return;
    await (await open(BEFORE)).destroy();
    const after = await open(TOKEN_STORE_MIGRATIONS);
    try {
      expect(await storedBody(after)).toEqual({ compression: store === 'PostgreSQL' ? 'lz4' : 'none', body });
      await after.undoLastMigration({ transaction: 'each' });
      expect(await storedBody(after)).toEqual({ compression: store === 'PostgreSQL' ? 'pglz' : 'none', body });
    } finally {
      await after.destroy();
    }
  });
});
