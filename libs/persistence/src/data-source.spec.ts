import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Socket } from 'node:net';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { isDatabaseUnavailable } from './database-unavailable';
import { openDataSource, POSTGRES_CONNECT_TIMEOUT_MS, POSTGRES_STATEMENT_TIMEOUT_MS } from './data-source';

const modeOf = (path: string) => statSync(path).mode & 0o777;

// The SQLite stores hold password hashes (registry), token hashes and reusable tokens' ciphertext (token service).
describe('the SQLite store files', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keymint-store-modes-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('are readable by their owner only, the DATA_DIR made for them too, the write-ahead log included', async () => {
    const dataDir = join(root, 'data');
    const dataSource = await openDataSource({ service: 'registry', dataDir, entities: [], migrations: [] });
    await dataSource.query('CREATE TABLE t (x INTEGER)');
    await dataSource.query('INSERT INTO t VALUES (1)');
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'registry.sqlite'))).toBe(0o600);
    expect(modeOf(join(dataDir, 'registry.sqlite-wal'))).toBe(0o600);
    await dataSource.destroy();
  });

  it('are made private when a store from before is opened', async () => {
    const database = join(root, 'token.sqlite');
    writeFileSync(database, '');
    chmodSync(database, 0o644);
    const dataSource = await openDataSource({ service: 'token', dataDir: root, entities: [], migrations: [] });
    expect(modeOf(database)).toBe(0o600);
    await dataSource.destroy();
  });
});

// A database host that takes the connection and then says nothing (a half-dead host, a firewall that drops
// packets): opening the store, and so any request needing a new connection, must fail as "unavailable" in
// bounded time rather than wait forever.
describe('a PostgreSQL server that never answers', () => {
  it('is given up on after the connect timeout, as an unavailable database', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const opening = openDataSource({ service: 'token', dataDir: '', dbUrl: `postgres://keymint@127.0.0.1:${port}/keymint`, entities: [], migrations: [] });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      opening.then(
        () => 'opened',
        (error: unknown) => error,
      ),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), POSTGRES_CONNECT_TIMEOUT_MS + 4000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(outcome)).toBe(true);
    expect(Date.now() - started).toBeLessThan(POSTGRES_CONNECT_TIMEOUT_MS + 2000);
    for (const socket of held) socket.destroy();
    silent.close();
  }, 15000);
});

// A server that is slow but answering cancels a serving statement itself (statement_timeout, lock waits included) and
// keeps the connection; a migration, which may rightly run long, is not bounded.
describe('PostgreSQL statement bounds', () => {
  class RecordMigrationSettings1700000000000 implements MigrationInterface {
    name = 'RecordMigrationSettings1700000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`CREATE TABLE migration_settings AS SELECT current_setting('statement_timeout') AS statement_timeout`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query('DROP TABLE migration_settings');
    }
  }

  it('bounds every serving statement on the server, and runs the migrations without the bound', async () => {
    const database = await postgresTestDatabase();
    if (!database) return;
    const dataSource = await openDataSource({ service: 'token', dataDir: '', dbUrl: database.url, entities: [], migrations: [RecordMigrationSettings1700000000000] });
    try {
      expect(await dataSource.query('SELECT statement_timeout FROM migration_settings')).toEqual([{ statement_timeout: '0' }]);
      expect(await dataSource.query(`SELECT current_setting('statement_timeout') AS statement_timeout`)).toEqual([{ statement_timeout: `${POSTGRES_STATEMENT_TIMEOUT_MS / 1000}s` }]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
