import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { openDataSource } from './data-source';
import { Database } from './database';
import { createPrefixedTable } from './migration-helpers';

class Blobs1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner) {
    await createPrefixedTable(queryRunner, {
      name: 'blobs',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true },
        { name: 'body', type: 'text' },
      ],
    });
  }
  async down() {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KIB = 1024;

describe('WalCheckpointer (SQLite checkpoints off the event loop)', () => {
  let dir: string;
  let database: Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-wal-'));
    database = new Database(await openDataSource({ service: 'token', dataDir: dir, entities: [], migrations: [Blobs1700000000000] }));
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves checkpoints to its worker: the service connection never checkpoints in a COMMIT', async () => {
    expect(await database.manager.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
  });

  it('copies committed pages into the database file and keeps the log small', async () => {
    const body = 'x'.repeat(KIB);
    // 8 MiB over ~1.6 s: without checkpoints the log would hold all of it.
    for (let batch = 0; batch < 40; batch++) {
      await database.transaction((manager) =>
        manager.query(`INSERT INTO token_blobs (id, body) VALUES ${Array.from({ length: 200 }, () => '(NULL, ?)').join(', ')}`, Array(200).fill(body)),
      );
      await sleep(40);
    }
    await sleep(500);
    const walBytes = statSync(join(dir, 'token.sqlite-wal')).size;
    const databaseBytes = statSync(join(dir, 'token.sqlite')).size;
    expect(databaseBytes).toBeGreaterThan(8000 * KIB);
    // The log file keeps its high-water mark; without checkpoints it would hold all 8 MiB.
    expect(walBytes).toBeLessThan(4000 * KIB);
    expect(await database.manager.query('SELECT COUNT(*) AS n FROM token_blobs')).toEqual([{ n: 8000 }]);
  });

  it('starts the log over under steady writes: it never grows far past 16 MiB', async () => {
    const body = 'y'.repeat(KIB);
    let largestWal = 0;
    // 48 MiB in small transactions ~1 ms apart: some commit always lands while the worker copies,
    // so without the pause the log would never start over and would hold all of it.
    for (let round = 0; round < 2400; round++) {
      await database.transaction((manager) =>
        manager.query(`INSERT INTO token_blobs (id, body) VALUES ${Array.from({ length: 20 }, () => '(NULL, ?)').join(', ')}`, Array(20).fill(body)),
      );
      if (round % 50 === 0) largestWal = Math.max(largestWal, statSync(join(dir, 'token.sqlite-wal')).size);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(await database.manager.query('SELECT COUNT(*) AS n FROM token_blobs')).toEqual([{ n: 48000 }]);
    expect(largestWal).toBeLessThan(24 * 1024 * KIB);
  });

  it('hands checkpointing back to SQLite when its worker dies, and still closes at once', async () => {
    // A crashed worker, as an I/O error would leave it.
    const { worker } = (database as unknown as { checkpointer: { thread: { worker: { terminate(): Promise<number> } } } }).checkpointer.thread;
    await worker.terminate();
    await sleep(50);
    expect(await database.manager.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 1000 }]);
    await database.transaction((manager) => manager.query('INSERT INTO token_blobs (id, body) VALUES (NULL, ?)', ['after']));
    const started = Date.now();
    await database.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
