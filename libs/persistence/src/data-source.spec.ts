import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataSource } from './data-source';

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
