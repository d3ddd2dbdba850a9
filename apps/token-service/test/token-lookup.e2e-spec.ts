import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, insertRows, openDataSource, timeOrderedUuid } from '@keymint/persistence';
import { opaqueToken, tokenHash } from '../src/token-storage/token-hash';
import { TokenRecord } from '../src/token-storage/token.entity';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from '../src/token-storage/token-store.schema';
import { TokenStore } from '../src/token-storage/token-store';
import { insertRowsOfOlderRelease, tokenRecord } from './token-records';
import { postgresTestDatabase } from '../../../test/support/postgres';

function tokenRow(id: string, token: string, expiresAt = Date.now() + 3_600_000, kind: 'access' | 'refresh' = 'access'): TokenRecord {
  return tokenRecord({ id, tokenHash: tokenHash(token), kind, consumerKey: 'lookup-key', applicationId: 'lookup-app', expiresAt });
}

/** A JWT-shaped string naming `jti` (the store never checks signatures: the hash comparison decides). */
const jwtNaming = (jti: string, signature: string) =>
  [{ alg: 'ES256', typ: 'at+jwt' }, { jti, sub: 'lookup-key' }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + `.${signature}`;

/**
 * How a presented token is found (TokenStore.find): by the row id it carries
 * (an opaque token's first 16 bytes, a JWT's jti) and then its SHA-256
 * compared; opaque tokens issued before tokens carried their id are still
 * found after the upgrade. On SQLite, and on PostgreSQL when it is reachable.
 */
describe.each([['SQLite'], ['PostgreSQL']])('token lookup on %s', (store) => {
  let dir: string;
  let dbUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  const open = async (migrations: typeof TOKEN_STORE_MIGRATIONS) =>
    new Database(await openDataSource({ service: 'token', dataDir: dir, dbUrl, entities: TOKEN_STORE_ENTITIES, migrations }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-lookup-'));
    if (store === 'PostgreSQL') {
      const database = await postgresTestDatabase();
      if (!database) return;
      dbUrl = database.url;
      dropDatabase = database.drop;
    }
  });
  afterAll(async () => {
    await dropDatabase?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds tokens by the id they carry, old opaque tokens by their hash, and nothing for a wrong token', async () => {
    if (store === 'PostgreSQL' && !dbUrl) return;
    // A store as the previous release left it: opaque tokens without an id inside, one live access token, one
    // expired access token, one expired refresh token (presented again after rotation, it must still be found).
    const before = await open(TOKEN_STORE_MIGRATIONS.slice(0, 2));
    const legacyToken = randomBytes(32).toString('base64url');
    const expiredLegacyToken = randomBytes(32).toString('base64url');
    const expiredLegacyRefresh = randomBytes(32).toString('base64url');
    const legacyId = timeOrderedUuid();
    const legacyRefreshId = timeOrderedUuid();
    await before.transaction((manager) =>
      insertRowsOfOlderRelease(manager, [
        tokenRow(legacyId, legacyToken),
        tokenRow(timeOrderedUuid(), expiredLegacyToken, Date.now() - 1000),
        tokenRow(legacyRefreshId, expiredLegacyRefresh, Date.now() - 1000, 'refresh'),
      ]),
    );
    await before.close();

    const database = await open(TOKEN_STORE_MIGRATIONS);
    try {
      const tokens = new TokenStore(database);
      const opaqueId = timeOrderedUuid();
      const opaque = opaqueToken(opaqueId);
      const jwtId = timeOrderedUuid();
      const jwt = jwtNaming(jwtId, 'c2lnbmF0dXJl');
      await database.transaction((manager) => insertRows(manager, TokenRecord, [tokenRow(opaqueId, opaque), tokenRow(jwtId, jwt)]));

      expect((await tokens.find(opaque))?.id).toBe(opaqueId);
      expect((await tokens.find(jwt))?.id).toBe(jwtId);
      expect((await tokens.find(legacyToken))?.id).toBe(legacyId);
      expect((await tokens.find(expiredLegacyRefresh))?.id).toBe(legacyRefreshId);

      // The id alone finds nothing: same id, other random part; same jti, other signature.
      expect(await tokens.find(opaqueToken(opaqueId))).toBeNull();
      expect(await tokens.find(jwtNaming(jwtId, 'b3RoZXI'))).toBeNull();
      expect(await tokens.find(expiredLegacyToken)).toBeNull();
      for (const garbage of ['x', 'a.b.c', `${opaque}x`, randomBytes(32).toString('base64url'), 'é'.repeat(43)]) {
        expect(await tokens.find(garbage)).toBeNull();
      }
    } finally {
      await database.close();
    }
  });
});
