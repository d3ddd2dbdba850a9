import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';

export interface DataSourceSettings {
  /** Prefix of every table of the service, so all services can share one PostgreSQL database. */
  service: 'token' | 'registry' | 'analytics';
  dataDir: string;
  /** postgres://… or undefined for the service's SQLite file under dataDir. */
  dbUrl?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  entities: MixedList<Function | string | EntitySchema<any>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  migrations: MixedList<Function | string>;
  /** PostgreSQL: connections of this process's pool (20 unless given; a service of several processes shares them out). */
  poolSize?: number;
  /**
   * SQLite: the store is this process's alone while it is open, and a second process is refused at start
   * (`holdSqliteStore`). For a service that keeps what must be shared by all its processes in its memory.
   */
  oneProcess?: boolean;
}

/** How long a new PostgreSQL connection, or a free one from the pool, may take. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 3000;

/**
 * How long any statement of a serving connection may wait for its answer (docs/decisions.md, "PostgreSQL writes"):
 * a host that stops answering mid-query (no reset, and its TCP stack still acknowledging, so keep-alive sees
 * nothing wrong) would otherwise hold the request forever. Past it node-postgres fails the statement and, the pool's
 * connections being pipelined, destroys its connection, which fails every statement waiting on it as a lost
 * connection: the requests get 503s and the next statement takes a new connection. Far above the slowest group
 * commit or read measured under load. Migrations run on a connection of their own without it (`openDataSource`).
 */
export const POSTGRES_ANSWER_TIMEOUT_MS = 10_000;

/**
 * How long PostgreSQL itself lets a serving statement run, lock waits included, before it cancels it: a second under
 * the answer timeout, so that a server that is slow but answering (a pile-up on a lock, a stalled synchronous
 * standby) ends the statement itself and keeps the connection, where the client giving up the connection would leave
 * the server working on for nobody. The answer timeout stays for a host that answers nothing at all.
 */
export const POSTGRES_STATEMENT_TIMEOUT_MS = POSTGRES_ANSWER_TIMEOUT_MS - 1000;

/**
 * The connections a PostgreSQL server admits to roles that are not superusers: max_connections less
 * superuser_reserved_connections (the ones kept for an administrator).
 */
export async function postgresConnectionLimit(dbUrl: string): Promise<{ maxConnections: number; superuserReserved: number }> {
  const client = new Client({ connectionString: dbUrl, connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS, application_name: 'keymint-start-check' });
  await client.connect();
  try {
    const { rows } = await client.query<{ max: number; reserved: number }>(
      "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS reserved",
    );
    return { maxConnections: rows[0].max, superuserReserved: rows[0].reserved };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function isPostgres(dataSource: DataSource): boolean {
  return dataSource.options.type === 'postgres';
}

export function buildDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  const common = {
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsRun: false,
    migrationsTableName: `${settings.service}_migrations`,
    entityPrefix: `${settings.service}_`,
    synchronize: false,
    logging: false as const,
  };
  if (settings.dbUrl) {
    return {
      ...common,
      type: 'postgres',
      url: settings.dbUrl,
      poolSize: settings.poolSize ?? 20,
      // A server that drops packets instead of refusing them would otherwise hold every request that needs a new
      // connection (or waits for a free one) forever; after this the request is a 503 like any unreachable database.
      connectTimeoutMS: POSTGRES_CONNECT_TIMEOUT_MS,
      // Names the service in pg_stat_activity.
      applicationName: `keymint-${settings.service}`,
      // `pipeline`: a connection sends a statement without waiting for the answer to the one before
      // (Database.pipelinedTransaction). `keepAlive`, probing after 10 s idle (the system's default waits two
      // hours): an idle connection to a host that vanished is found dead.
      extra: {
        pipeline: true,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        query_timeout: POSTGRES_ANSWER_TIMEOUT_MS,
        statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
      },
    };
  }
  const dir = resolve(settings.dataDir);
  // A DATA_DIR made here is the owner's alone; one that exists keeps the modes its owner chose.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const database = join(dir, `${settings.service}.sqlite`);
  privateStoreFiles(database);
  return {
    ...common,
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    // busy_timeout: waits for other connections on the file (the checkpoint worker, a backup) instead of failing.
    timeout: 5000,
  };
}

/**
 * The SQLite store holds password hashes and token hashes: its file is made
 * 0600 before SQLite opens it, and SQLite gives its -wal and -shm files the
 * database file's mode. A store from before, with the umask's mode, is made
 * 0600 too.
 */
function privateStoreFiles(database: string): void {
  if (!existsSync(database)) closeSync(openSync(database, 'a', 0o600));
  for (const file of [database, `${database}-wal`, `${database}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/** Opens the store, tunes SQLite and applies pending migrations. */
export async function openDataSource(settings: DataSourceSettings): Promise<DataSource> {
  const options = buildDataSourceOptions(settings);
  if (options.type === 'postgres') {
    // A migration (an index built over a million tokens) may rightly take longer than a serving statement's
    // timeouts: migrations run first, on one connection without them.
    await migrate(new DataSource({ ...options, poolSize: 1, extra: { ...options.extra, query_timeout: undefined, statement_timeout: undefined } }));
    const dataSource = new DataSource(options);
    await dataSource.initialize();
    return dataSource;
  }
  const dataSource = new DataSource(options);
  if (settings.oneProcess && options.type === 'better-sqlite3') storeHolds.set(dataSource, holdSqliteStore(options.database));
  try {
    await dataSource.initialize();
  } catch (error) {
    releaseSqliteStore(dataSource);
    throw error;
  }
  // WAL + synchronous=NORMAL: a commit survives a process crash. (The driver's `timeout` is the busy timeout.)
  await dataSource.query('PRAGMA synchronous = NORMAL');
  // 32 MiB of page cache instead of 2 MiB: with a million tokens the token table's indexes are tens of MB,
  // and a page missing from the cache is a read system call on the event loop.
  await dataSource.query('PRAGMA cache_size = -32768');
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

/** Applies the pending migrations of a PostgreSQL store on a data source of its own, closed after. */
async function migrate(migrator: DataSource): Promise<void> {
  await migrator.initialize();
  try {
    await migrator.runMigrations({ transaction: 'each' });
  } finally {
    await migrator.destroy();
  }
}

/** The hold on each store opened with `oneProcess`, until the store is closed (releaseSqliteStore). */
const storeHolds = new WeakMap<DataSource, BetterSqlite3.Database>();

/**
 * Makes the SQLite store at `database` this process's alone: an exclusive lock on a file beside it
 * (`<store>.lock`, a SQLite file of its own), taken at once or refused. The operating system drops the lock
 * when the process ends, however it ends (kill -9 included), so nothing is left to clean up; the store
 * itself stays open to the WAL checkpointer's connection in the same process.
 */
export function holdSqliteStore(database: string): BetterSqlite3.Database {
  const lockFile = `${database}.lock`;
  if (!existsSync(lockFile)) closeSync(openSync(lockFile, 'a', 0o600));
  const hold = new BetterSqlite3(lockFile, { timeout: 0 });
  try {
    // In exclusive locking mode the first write takes the file's exclusive lock and keeps it until the connection closes.
    hold.pragma('locking_mode = EXCLUSIVE');
    hold.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (error) {
    hold.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new Error(
      `another process has the store ${database} open: on SQLite one process serves it (its limits and single-use checks ` +
        'live in that process\'s memory). Stop the other one, give this one a DATA_DIR of its own, or use PostgreSQL (DB_URL) for replicas.',
    );
  }
  return hold;
}

/** Lets another process open the store again (Database.close, after the store is closed). */
export function releaseSqliteStore(dataSource: DataSource): void {
  storeHolds.get(dataSource)?.close();
  storeHolds.delete(dataSource);
}

/** The table name of an entity as the data source prefixes it (for migrations and raw SQL). */
export function tableName(dataSource: DataSource, name: string): string {
  return `${dataSource.options.entityPrefix ?? ''}${name}`;
}
