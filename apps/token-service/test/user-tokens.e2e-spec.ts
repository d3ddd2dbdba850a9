import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenServiceConfig } from '@keymint/config';
import { OutboxEntry } from '@keymint/messaging';
import { Database, openDataSource } from '@keymint/persistence';
import { TokensFollowTheUser1700000000005 } from '../src/migrations/1700000000005-tokens-follow-the-user';
import { TokenRevoker } from '../src/revocation/token-revoker';
import { TokenRecord } from '../src/token-storage/token.entity';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from '../src/token-storage/token-store.schema';
import { TokenStore } from '../src/token-storage/token-store';
import { TokenWriter } from '../src/token-storage/token-writer';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { insertRowsOfOlderRelease, tokenRecord } from './token-records';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The token store's side of "tokens follow the user" (migration
 * 1700000000005): refresh families from an older release get their start,
 * and a user's tokens, of every key, are revoked together. On SQLite, and on
 * PostgreSQL when it is reachable.
 */
describe.each([['SQLite'], ['PostgreSQL']])('tokens of a user in the store, on %s', (store) => {
  let dir: string;
  let dbUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let database: Database | undefined;
  const open = async (migrations: typeof TOKEN_STORE_MIGRATIONS) =>
    new Database(await openDataSource({ service: 'token', dataDir: dir, dbUrl, entities: TOKEN_STORE_ENTITIES, migrations }));
  const skipped = () => store === 'PostgreSQL' && !dbUrl;
  const rowsById = async () =>
    Object.fromEntries((await database!.consistentRead((manager) => manager.find(TokenRecord))).map((row) => [row.id, row]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-user-tokens-'));
    if (store === 'PostgreSQL') {
      const created = await postgresTestDatabase();
      if (!created) return;
      dbUrl = created.url;
      dropDatabase = created.drop;
    }
  });
  afterAll(async () => {
    await database?.close();
    await dropDatabase?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives every refresh token of an older release its family's start (the family's oldest row) and no roles", async () => {
    if (skipped()) return;
    const start = Date.now() - 10 * DAY;
    const family = (id: string, kind: 'access' | 'refresh', issuedAt: number, familyId: string, rotated = false) =>
      tokenRecord({
        id,
        kind,
        familyId,
        issuedAt,
        expiresAt: issuedAt + DAY,
        username: 'alice',
        grantType: 'password',
        ...(rotated ? { revokedAt: issuedAt + HOUR, revokeReason: 'rotated' as const } : {}),
      });
    const before = await open(TOKEN_STORE_MIGRATIONS.slice(0, TOKEN_STORE_MIGRATIONS.indexOf(TokensFollowTheUser1700000000005)));
    await before.transaction((manager) =>
      insertRowsOfOlderRelease(manager, [
        family('old-a1', 'access', start, 'family-1'),
        family('old-r1', 'refresh', start, 'family-1', true),
        family('old-a2', 'access', start + 9 * DAY, 'family-1'),
        family('old-r2', 'refresh', start + 9 * DAY, 'family-1'),
        family('old-r3', 'refresh', start + 2 * DAY, 'family-2'),
        tokenRecord({ id: 'old-cc' }),
      ]),
    );
    await before.close();

    // Up to this migration, so that going down (the last test) reverts it and no later one.
    // Up to today's schema: the rows are read and written as today's entity.
    database = await open(TOKEN_STORE_MIGRATIONS);
    const rows = await rowsById();
    const families = Object.fromEntries(Object.values(rows).map((row) => [row.id, [row.familyIssuedAt, row.familyRoles]]));
    expect(families).toEqual({
      'old-a1': [null, null],
      'old-r1': [start, null],
      'old-a2': [null, null],
      // Rotated nine days after the password grant: the family still began at its first row.
      'old-r2': [start, null],
      'old-r3': [start + 2 * DAY, null],
      'old-cc': [null, null],
    });
  });

  it('revokes every live token of a user, of every key, with one tokens.revoked.v1 per access token', async () => {
    if (skipped()) return;
    const revoker = new TokenRevoker(database!, new TokenStore(database!), new TokenWriter(database!, { EVENTS_PER_MESSAGE: 1 } as TokenServiceConfig));
    const user = (id: string, username: string, changes: Partial<TokenRecord> = {}) => tokenRecord({ id, username, grantType: 'password', ...changes });
    await database!.transaction((manager) =>
      manager.insert(TokenRecord, [
        user('bob-a1', 'bob', { familyId: 'family-b' }),
        user('bob-r1', 'bob', { kind: 'refresh', familyId: 'family-b', familyIssuedAt: Date.now(), familyRoles: 'subscriber' }),
        user('bob-a2', 'bob', { consumerKey: 'key-b', applicationId: 'app-b' }),
        user('bob-a3', 'bob', { revokedAt: 5, revokeReason: 'revoked_by_client' }),
        user('carol-a1', 'carol'),
        tokenRecord({ id: 'cc-a1' }),
      ]),
    );
    await database!.transaction((manager) => manager.clear(OutboxEntry));

    await database!.transaction((manager) => revoker.revokeUserInTransaction(manager, 'bob', 'password_changed', undefined));

    const rows = await rowsById();
    expect(Object.fromEntries(['bob-a1', 'bob-r1', 'bob-a2', 'bob-a3', 'carol-a1', 'cc-a1'].map((id) => [id, rows[id].revokeReason]))).toEqual({
      'bob-a1': 'password_changed',
      'bob-r1': 'password_changed',
      'bob-a2': 'password_changed',
      'bob-a3': 'revoked_by_client',
      'carol-a1': null,
      'cc-a1': null,
    });
    const events = (await database!.consistentRead((manager) => manager.find(OutboxEntry))).map((entry) => ({
      subject: entry.subject,
      ...(JSON.parse(entry.body) as { tokenId: string; consumerKey: string; reason: string }),
    }));
    expect(events.map(({ subject, tokenId, consumerKey, reason }) => ({ subject, tokenId, consumerKey, reason }))).toEqual(
      expect.arrayContaining([
        { subject: 'tokens.revoked.v1', tokenId: 'bob-a1', consumerKey: 'key-a', reason: 'password_changed' },
        { subject: 'tokens.revoked.v1', tokenId: 'bob-a2', consumerKey: 'key-b', reason: 'password_changed' },
      ]),
    );
    // Refresh tokens have no events; the token revoked before keeps its own.
    expect(events).toHaveLength(2);
  });

  it('is reverted by its migration going down', async () => {
    if (skipped()) return;
    // This one and every later migration, newest first.
    const later = TOKEN_STORE_MIGRATIONS.length - TOKEN_STORE_MIGRATIONS.indexOf(TokensFollowTheUser1700000000005);
    for (let step = 0; step < later; step += 1) await database!.dataSource.undoLastMigration({ transaction: 'each' });
    const [row] = (await database!.dataSource.query(`SELECT * FROM token_tokens WHERE "id" = 'old-r2'`)) as Array<Record<string, unknown>>;
    expect(Object.keys(row)).not.toContain('familyIssuedAt');
    expect(Object.keys(row)).not.toContain('familyRoles');
    expect(row.username).toBe('alice');
  });
});
