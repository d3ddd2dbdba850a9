/**
 * The "flat with size" scenario (issue 6): a token store that already holds a million tokens.
 * Issuing that many through the API would take minutes, so rows are written straight into the
 * token service's tables, shaped like what it writes itself, before the warm-up.
 */
import { randomBytes } from 'node:crypto';
import { insertRows, openDataSource, timeOrderedUuid } from '@keymint/persistence';
import { reuseKeyOf } from '../apps/token-service/src/token-storage/reuse-slot.entity';
import { tokenHash } from '../apps/token-service/src/token-storage/token-hash';
import { TokenRecord } from '../apps/token-service/src/token-storage/token.entity';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from '../apps/token-service/src/token-storage/token-store.schema';

/** The benchmark's own client: a tenth of the stored tokens are its earlier, superseded ones. */
export interface PreloadClient {
  consumerKey: string;
  applicationId: string;
  /** The scope string the token service grants this client (its reuse key is `consumerKey\nscope`). */
  scope: string;
}

const ROWS_PER_TRANSACTION = 5000;
const OTHER_CLIENTS = 1000;
const DAY_MS = 86_400_000;
const PRELOAD_SPREAD_MS = 23 * 3_600_000;

/**
 * The mix: every tenth row is a token of the benchmark client that TOKEN_RENEW_PER_REQUEST
 * already superseded (same reuse key, revoked 'renewed': the history renew mode leaves, which
 * the live-token lookup must not read); the rest belong to 1,000 other applications:
 * client_credentials tokens as reuse mode leaves them once replaced (no reuse key) and password
 * tokens (with refresh tokens), issued over the last 23 hours, most of them expired, some revoked.
 * Not older: the token service deletes tokens expired longer ago than EXPIRED_TOKEN_RETENTION (a
 * day by default), so a store in use holds none, and preloading them would measure the first purge.
 */
export function preloadRow(index: number, client: PreloadClient, now: number, salt: string): TokenRecord {
  // Multiplicative hashing spreads consecutive rows over the 23 hours.
  const issuedAt = now - ((index * 2_654_435_761) % PRELOAD_SPREAD_MS);
  const row = new TokenRecord();
  // Ids as the token service makes them (time-ordered), so the primary-key index has the shape it would have.
  row.id = timeOrderedUuid(issuedAt);
  row.tokenHash = tokenHash(`${salt}:${index}`);
  row.keyType = 'PRODUCTION';
  row.tokenType = 'OAUTH';
  row.issuedAt = issuedAt;
  row.expiresAt = issuedAt + 3_600_000;
  row.familyId = null;
  row.familyIssuedAt = null;
  row.familyRoles = null;
  row.encryptedToken = null;
  row.reuseKey = null;
  row.username = null;
  row.revokedAt = null;
  row.revokeReason = null;
  row.kind = 'access';
  if (index % 10 === 0) {
    row.consumerKey = client.consumerKey;
    row.applicationId = client.applicationId;
    row.scopes = client.scope;
    row.grantType = 'client_credentials';
    row.reuseKey = reuseKeyOf(client.consumerKey, client.scope.split(' '));
    row.revokedAt = issuedAt + 1000;
    row.revokeReason = 'renewed';
    return row;
  }
  const other = Math.floor(index / 10) % OTHER_CLIENTS;
  row.consumerKey = `preload-key-${other}`;
  row.applicationId = `preload-app-${other}`;
  row.scopes = 'default';
  if (index % 3 === 0) {
    row.grantType = 'password';
    row.username = `preload-user-${index % 5000}`;
    row.familyId = `family-${Math.floor(index / 6)}`;
    if (index % 6 === 0) {
      row.kind = 'refresh';
      row.expiresAt = issuedAt + DAY_MS;
      row.familyIssuedAt = issuedAt;
      row.familyRoles = 'subscriber';
    }
  } else {
    row.grantType = 'client_credentials';
  }
  if (index % 7 === 0) {
    row.revokedAt = issuedAt + 60_000;
    row.revokeReason = 'revoked_by_client';
  }
  return row;
}

/** Writes `count` token rows into the token store of a cluster (its SQLite file under dataDir, or dbUrl); returns the time taken. */
export async function preloadTokens(
  store: { dataDir: string; dbUrl?: string },
  client: PreloadClient,
  count: number,
  progress: (written: number) => void,
): Promise<number> {
  const started = Date.now();
  const dataSource = await openDataSource({ service: 'token', dataDir: store.dataDir, dbUrl: store.dbUrl, entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS });
  try {
    // A large page cache keeps the token table's secondary indexes (client, application, family) in memory while they grow.
    if (!store.dbUrl) await dataSource.query('PRAGMA cache_size = -262144');
    const salt = randomBytes(8).toString('hex');
    const now = Date.now();
    for (let start = 0; start < count; start += ROWS_PER_TRANSACTION) {
      const end = Math.min(count, start + ROWS_PER_TRANSACTION);
      const rows: TokenRecord[] = [];
      for (let index = start; index < end; index++) rows.push(preloadRow(index, client, now, salt));
      await dataSource.transaction((manager) => insertRows(manager, TokenRecord, rows));
      if (end % 100_000 === 0 || end === count) progress(end);
    }
  } finally {
    await dataSource.destroy();
  }
  return Date.now() - started;
}
