import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Database, openDataSource } from '@keymint/persistence';
import { TokenServiceConfig } from '@keymint/config';
import { TokenRecord } from '../token-storage/token.entity';
import { TokenStore } from '../token-storage/token-store';
import { LiveTokenIndexes1700000000003 } from '../migrations/1700000000003-live-token-indexes';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from '../token-storage/token-store.schema';
import { TokenWriter } from '../token-storage/token-writer';
import { TokenRevoker } from './token-revoker';
import { tokenRecord } from '../../test/token-records';

// Migrations 1700000000003 and 1700000000005: the consumer-key, application, family and user indexes hold live
// tokens only, so a token written already revoked (renew mode) costs no entry in them. The revocations that read
// them must still find every live token, through those indexes.
describe('live-token indexes (consumer key, application, refresh family, user)', () => {
  let dir: string;
  let dataSource: DataSource;
  let database: Database;
  let revoker: TokenRevoker;
  /** The statements the store ran, to read their query plans. */
  const statements: Array<[string, unknown[]]> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-live-indexes-'));
    dataSource = await openDataSource({ service: 'token', dataDir: dir, entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS });
    database = new Database(dataSource);
    revoker = new TokenRevoker(database, new TokenStore(database), new TokenWriter(database, { EVENTS_PER_MESSAGE: 100 } as TokenServiceConfig));
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `work` with a manager whose statements are recorded. */
  async function recording(work: (manager: DataSource['manager']) => Promise<unknown>): Promise<void> {
    const runner = dataSource.createQueryRunner();
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, parameters?: unknown[], ...rest: unknown[]) => {
      statements.push([sql, parameters ?? []]);
      return (query as (...args: unknown[]) => Promise<unknown>)(sql, parameters, ...rest);
    }) as typeof runner.query;
    try {
      await runner.startTransaction();
      await work(runner.manager);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
  }

  const reasons = async () =>
    Object.fromEntries((await dataSource.getRepository(TokenRecord).find({ order: { id: 'ASC' } })).map((row) => [row.id, row.revokeReason]));

  it('revokes the live tokens of a key, an application, a family and a user, and leaves the revoked ones as they were', async () => {
    await dataSource.getRepository(TokenRecord).insert([
      tokenRecord({ id: 'a1' }),
      tokenRecord({ id: 'a2', revokedAt: 5, revokeReason: 'renewed' }),
      tokenRecord({ id: 'b1', consumerKey: 'key-b', applicationId: 'app-b' }),
      tokenRecord({ id: 'b2', consumerKey: 'key-c', applicationId: 'app-b' }),
      tokenRecord({ id: 'c1', consumerKey: 'key-d', applicationId: 'app-d', familyId: 'family-1', grantType: 'password', username: 'alice' }),
      tokenRecord({ id: 'c2', consumerKey: 'key-d', applicationId: 'app-d', familyId: 'family-1', kind: 'refresh', revokedAt: 5, revokeReason: 'rotated' }),
      tokenRecord({ id: 'c3', consumerKey: 'key-d', applicationId: 'app-d', familyId: 'family-1', kind: 'refresh' }),
      tokenRecord({ id: 'd1', consumerKey: 'key-e', applicationId: 'app-e', grantType: 'password', username: 'dora' }),
      tokenRecord({ id: 'd2', consumerKey: 'key-f', applicationId: 'app-f', grantType: 'password', username: 'dora' }),
    ]);
    await recording(async (manager) => {
      await revoker.revokeConsumerKeyInTransaction(manager, 'key-a', 'app-a', 'secret_regenerated', undefined);
      await revoker.revokeApplicationInTransaction(manager, 'app-b', 'application_deleted', undefined);
      await revoker.revokeFamilyInTransaction(manager, 'family-1', undefined);
      await revoker.revokeUserInTransaction(manager, 'dora', 'user_deleted', undefined);
    });
    expect(await reasons()).toEqual({
      a1: 'secret_regenerated',
      a2: 'renewed',
      b1: 'application_deleted',
      b2: 'application_deleted',
      c1: 'refresh_token_reuse',
      c2: 'rotated',
      c3: 'refresh_token_reuse',
      d1: 'user_deleted',
      d2: 'user_deleted',
    });
  });

  it('reads those indexes in every statement that looks tokens up by key, application, family or user', async () => {
    const lookups = statements.filter(([sql]) => /token_tokens/.test(sql) && /"(consumerKey|applicationId|familyId|username)" = /.test(sql));
    // revokeConsumerKeyInTransaction (x3: key-a, key-b, key-c), revokeApplicationInTransaction's key list, revokeFamilyInTransaction's
    // read, revokeUserInTransaction's read.
    expect(lookups.length).toBeGreaterThanOrEqual(6);
    for (const [sql, parameters] of lookups) {
      const plan = ((await dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters)) as Array<{ detail: string }>).map((step) => step.detail).join('\n');
      expect({ sql, plan }).toEqual({ sql, plan: expect.stringMatching(/USING INDEX IDX_token_tokens_(consumerKey|applicationId|familyId|username)_live/) });
    }
  });

  it('is reverted by the migrations going down', async () => {
    // The later migrations first (1700000000005 holds the live-user index), then 1700000000003.
    for (let undone = TOKEN_STORE_MIGRATIONS.length; undone > TOKEN_STORE_MIGRATIONS.indexOf(LiveTokenIndexes1700000000003); undone -= 1) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
    const indexes = ((await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'token_tokens'`)) as Array<{ name: string }>).map(
      (index) => index.name,
    );
    expect(indexes).toEqual(expect.arrayContaining(['IDX_token_tokens_consumerKey', 'IDX_token_tokens_applicationId', 'IDX_token_tokens_familyId']));
    expect(indexes.filter((name) => name.endsWith('_live'))).toEqual([]);
  });
});
