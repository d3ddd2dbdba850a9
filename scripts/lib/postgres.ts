import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';
import { isListening } from './ports';

/**
 * PostgreSQL for the persistence tests: PG_URL when set, else the local server
 * on 127.0.0.1:5432 (trust auth on these machines), else null (tests skip it).
 */
export async function postgresAdminUrl(): Promise<string | null> {
  if (process.env.PG_URL) return process.env.PG_URL;
  if (!(await isListening(5432))) return null;
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return url;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A database made for one test or benchmark run: its URL, and how to drop it. */
export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

/**
 * A fresh database of its own (unique name) and a function that drops it.
 * Every cluster gets its own: each creates its admin user with a random password.
 */
export async function createTestDatabase(adminUrl: string, prefix = 'keymint_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The folder of `initdb` and `pg_ctl`: PATH, else Debian's /usr/lib/postgresql/<version>/bin (newest); null when there are none. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string | null {
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const debian = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => join('/usr/lib/postgresql', version, 'bin'))
    : [];
  return [...onPath, ...debian].find((dir) => ['initdb', 'pg_ctl'].every((binary) => isExecutable(join(dir, binary)))) ?? null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A PostgreSQL server of its own, for tests that crash it: `initdb` into a temporary folder, `pg_ctl` on a free
 * port on 127.0.0.1 (trust authentication, user `postgres`). PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` user (runuser), which then owns the folder.
 */
export class PostgresInstance {
  readonly dir: string;
  private readonly dataDir: string;

  private constructor(
    private readonly binaries: string,
    readonly port: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'keymint-postgres-'));
    this.dataDir = join(this.dir, 'data');
  }

  /** Initialises and starts a server; null when no PostgreSQL binaries are installed (or, as root, no `postgres` user to run them as). */
  static async create(port: number): Promise<PostgresInstance | null> {
    const binaries = findPostgresBinaries();
    if (!binaries) return null;
    const owner = runsAsRoot() ? postgresUser() : undefined;
    if (owner === null) return null;
    const instance = new PostgresInstance(binaries, port);
    if (owner) chownSync(instance.dir, owner.uid, owner.gid);
    await instance.run('initdb', ['-D', instance.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await instance.start();
    return instance;
  }

  /** The admin URL: the `postgres` database as user `postgres`. */
  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts connections (after a crash: once it has replayed its WAL). */
  async start(): Promise<void> {
    // Six service processes with a pool of 20 each, and the test's own connections.
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c max_connections=300`;
    await this.run('pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start']);
  }

  /** `immediate`: the server dies at once without a checkpoint, as in a crash, and recovers from its WAL on the next start. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  /** Stops the server (if it runs) and removes its folder. */
  async destroy(): Promise<void> {
    try {
      await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* not running */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Asynchronous: a test's load goes on while the server starts or stops. */
  private async run(binary: string, args: string[]): Promise<void> {
    const command = join(this.binaries, binary);
    const [file, fileArgs] = runsAsRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    await promisify(execFile)(file, fileArgs, { cwd: this.dir, timeout: 90_000 });
  }
}

/** The `postgres` user's ids, or null when there is no such user (as root, nothing to run the server as). */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}
