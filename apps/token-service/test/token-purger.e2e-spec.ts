import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenServiceConfig } from '@keymint/config';
import { Database, insertRows, openDataSource, selectRows, timeOrderedUuid } from '@keymint/persistence';
import { TokenPurger } from '../src/token-storage/token-purger';
import { TokenRecord } from '../src/token-storage/token.entity';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from '../src/token-storage/token-store.schema';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../scripts/lib/ports';
import { tokenRecord } from './token-records';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * EXPIRED_TOKEN_RETENTION: a pass deletes the rows of tokens that expired
 * longer ago than the retention, chunk by chunk in id order, and keeps every
 * other row: live ones, long-lived ones issued long ago, and ones expired
 * within the retention.
 */
describe.each(['SQLite', 'PostgreSQL'])('the purge of expired tokens (%s)', (storeName) => {
  let dir: string;
  let database: Database | undefined;
  let drop: (() => Promise<void>) | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-purge-'));
  });

  afterEach(async () => {
    await database?.close();
    database = undefined;
    await drop?.();
    drop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The token store, or null when this run needs PostgreSQL and none answers. */
  async function openStore(): Promise<Database | null> {
    let dbUrl: string | undefined;
    if (storeName === 'PostgreSQL') {
      const created = await postgresTestDatabase();
      if (!created) return null;
      drop = created.drop;
      dbUrl = created.url;
    }
    database = new Database(await openDataSource({ service: 'token', dataDir: dir, dbUrl, entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS }));
    return database;
  }

  const purger = (store: Database, retentionSeconds: number) =>
    new TokenPurger(store, { EXPIRED_TOKEN_RETENTION: retentionSeconds } as TokenServiceConfig);

  /** A token issued `issuedAgoMs` ago that lives `lifetimeMs`. */
  const issued = (issuedAgoMs: number, lifetimeMs: number, changes: Partial<TokenRecord> = {}) => {
    const issuedAt = Date.now() - issuedAgoMs;
    return tokenRecord({ id: timeOrderedUuid(issuedAt), issuedAt, expiresAt: issuedAt + lifetimeMs, ...changes });
  };

  const storedIds = async (store: Database) => new Set((await store.transaction((manager) => selectRows(manager, TokenRecord, () => '1 = 1'))).map((row) => row.id));

  it('deletes, over several chunks, exactly the tokens expired longer ago than the retention', async () => {
    const store = await openStore();
    if (!store) return;
    // More than two chunks of purgeable rows, revoked ones and refresh tokens among them.
    const purgeable = [
      ...Array.from({ length: 2300 }, (_, i) => issued(3 * DAY_MS + i, HOUR_MS)),
      ...Array.from({ length: 50 }, (_, i) => issued(2 * DAY_MS + i, HOUR_MS, { revokedAt: Date.now() - 2 * DAY_MS, revokeReason: 'renewed' })),
      ...Array.from({ length: 50 }, (_, i) => issued(5 * DAY_MS + i, DAY_MS, { kind: 'refresh', grantType: 'password', username: 'bob' })),
      // A family whose every token expired long ago.
      issued(6 * DAY_MS, DAY_MS, { kind: 'refresh', grantType: 'password', username: 'carol', familyId: 'family-gone' }),
      issued(6 * DAY_MS, HOUR_MS, { grantType: 'password', username: 'carol', familyId: 'family-gone' }),
    ];
    const kept = [
      ...Array.from({ length: 20 }, (_, i) => issued(i, HOUR_MS)), // live
      ...Array.from({ length: 20 }, (_, i) => issued(30 * DAY_MS + i, 365 * DAY_MS)), // issued long ago, still live
      ...Array.from({ length: 20 }, (_, i) => issued(DAY_MS + i, HOUR_MS)), // expired 23 hours ago: within the retention
      // A refresh token expired days ago whose family still has a live access token: revoking it must still reach that token.
      issued(4 * DAY_MS, DAY_MS, { kind: 'refresh', grantType: 'password', username: 'dave', familyId: 'family-live' }),
      issued(4 * DAY_MS, 7 * DAY_MS, { grantType: 'password', username: 'dave', familyId: 'family-live' }),
      // Above the bound (an id of now) the pass does not look, whatever the row says.
      tokenRecord({ id: timeOrderedUuid(), issuedAt: Date.now(), expiresAt: Date.now() - 3 * DAY_MS }),
    ];
    await store.transaction((manager) => insertRows(manager, TokenRecord, [...purgeable, ...kept]));

    const job = purger(store, 86400);
    let deleted = 0;
    let chunks = 0;
    let more = true;
    while (more) {
      const result = await job.purgeChunk();
      deleted += result.deleted;
      more = result.more;
      chunks += 1;
    }
    expect(deleted).toBe(purgeable.length);
    expect(chunks).toBeGreaterThan(2);
    expect([...(await storedIds(store))].sort()).toEqual(kept.map((row) => row.id).sort());

    // The next pass starts over from the oldest id: it finds what has expired since below where the last one ended.
    const late = issued(10 * DAY_MS, HOUR_MS);
    await store.transaction((manager) => insertRows(manager, TokenRecord, [late]));
    expect(await job.purgeChunk()).toEqual({ deleted: 1, more: false });
    expect(await job.purgeChunk()).toEqual({ deleted: 0, more: false });
  }, 60_000);

  it('runs by itself once the service has started, and keeps everything with a retention of 0', async () => {
    const store = await openStore();
    if (!store) return;
    const old = issued(3 * DAY_MS, HOUR_MS);
    await store.transaction((manager) => insertRows(manager, TokenRecord, [old]));

    const never = purger(store, 0);
    never.onApplicationBootstrap();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await never.beforeApplicationShutdown();
    expect((await storedIds(store)).has(old.id)).toBe(true);

    const daily = purger(store, 86400);
    daily.onApplicationBootstrap();
    try {
      await waitFor(async () => !(await storedIds(store)).has(old.id), 5000, 'the expired token purged', 50);
    } finally {
      await daily.beforeApplicationShutdown();
    }
  });
});
