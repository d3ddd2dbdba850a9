import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, In, IsNull } from 'typeorm';
import { openDataSource } from '@keymint/persistence';
import { Initial1700000000000 } from '../migrations/1700000000000-initial';
import { ActiveReuseIndex1700000000001 } from '../migrations/1700000000001-active-reuse-index';
import { TokenRecord } from './token.entity';
import { TOKEN_STORE_ENTITIES } from './token-store.schema';

// TOKEN_RENEW_PER_REQUEST looks up a key's live token on every batch; with an
// index over every token the key ever got, that lookup grew with the store.
describe('live-token lookup by reuse key', () => {
  let dir: string;
  let dataSource: DataSource;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-reuse-index-'));
    dataSource = await openDataSource({
      service: 'token',
      dataDir: dir,
      entities: TOKEN_STORE_ENTITIES,
      migrations: [Initial1700000000000, ActiveReuseIndex1700000000001],
    });
  });
  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the partial index of live tokens (the query the token writer runs)', async () => {
    const [sql, parameters] = dataSource
      .getRepository(TokenRecord)
      .createQueryBuilder()
      // The columns of this early schema only (later migrations add others); the plan depends on the condition.
      .setFindOptions({ select: { id: true, tokenHash: true }, where: { reuseKey: In(['key\nscope']), revokedAt: IsNull() } })
      .getQueryAndParameters();
    const plan = (await dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters)) as Array<{ detail: string }>;
    expect(plan.map((step) => step.detail).join('\n')).toContain('USING INDEX IDX_token_tokens_reuseKey_active');
  });

  it('is reverted by the migration going down', async () => {
    await dataSource.undoLastMigration({ transaction: 'each' });
    const indexes = (await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'token_tokens'`)) as Array<{ name: string }>;
    expect(indexes.map((index) => index.name)).toContain('IDX_token_tokens_reuseKey');
    expect(indexes.map((index) => index.name)).not.toContain('IDX_token_tokens_reuseKey_active');
  });
});
