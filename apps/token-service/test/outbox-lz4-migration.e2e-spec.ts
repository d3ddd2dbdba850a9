import { DataSource } from 'typeorm';
import { migrationTestStore } from '../../../test/support/postgres';
import { TOKEN_STORE_MIGRATIONS } from '../src/token-storage/token-store.schema';

const BEFORE = TOKEN_STORE_MIGRATIONS.slice(0, -1);

/** The upgrade that compresses the outbox's bodies with lz4 on PostgreSQL (a no-op on SQLite), and back. */
describe.each(['SQLite', 'PostgreSQL'] as const)('the outbox lz4 migration (%s)', (store) => {
  const { open, skipped } = migrationTestStore(store, 'token');
  // A pack's body: past the ~2 KB at which PostgreSQL compresses a value.
  const body = JSON.stringify(Array.from({ length: 60 }, (_, index) => ({ tokenId: `token-${index}`, scopes: 'default', grantType: 'client_credentials' })));

  /** The body column's own setting ('l' for lz4, '' for the server's default) and how a body written now is stored. */
  const compressionOf = async (dataSource: DataSource) => {
    await dataSource.query(`DELETE FROM token_outbox`);
    await dataSource.query(`INSERT INTO token_outbox ("eventId", "subject", "body", "createdAt") VALUES ('e-1', 'tokens.issued.v1', ${store === 'SQLite' ? '?' : '$1'}, 1)`, [body]);
    const [row] = (await dataSource.query(`SELECT "body" FROM token_outbox`)) as Array<{ body: string }>;
    if (store === 'SQLite') return { body: row.body };
    const [column] = (await dataSource.query(
      `SELECT attcompression AS setting FROM pg_attribute WHERE attrelid = 'token_outbox'::regclass AND attname = 'body'`,
    )) as Array<{ setting: string }>;
    const [stored] = (await dataSource.query(`SELECT pg_column_compression("body") AS method FROM token_outbox`)) as Array<{ method: string }>;
    return { setting: column.setting, stored: stored.method, body: row.body };
  };

  it('sets lz4 on the body column where the server has lz4, stores and reads bodies unchanged, and is undone', async () => {
    if (skipped()) return;
    await (await open(BEFORE)).destroy();
    const after = await open(TOKEN_STORE_MIGRATIONS);
    try {
      if (store === 'SQLite') {
        expect(await compressionOf(after)).toEqual({ body });
        return;
      }
      const [lz4] = (await after.query(`SELECT count(*)::int AS available FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`)) as Array<{ available: number }>;
      if (lz4.available === 0) {
        console.warn('this PostgreSQL has no lz4: the migration leaves the default, which is checked instead');
        expect(await compressionOf(after)).toEqual(expect.objectContaining({ setting: '', body }));
        return;
      }
      const [{ method: serverDefault }] = (await after.query(`SELECT current_setting('default_toast_compression') AS method`)) as Array<{ method: string }>;
      expect(await compressionOf(after)).toEqual({ setting: 'l', stored: 'lz4', body });
      await after.undoLastMigration({ transaction: 'each' });
      expect(await compressionOf(after)).toEqual({ setting: '', stored: serverDefault, body });
    } finally {
      await after.destroy();
    }
  });
});
