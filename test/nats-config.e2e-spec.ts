import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { BUS_USERS, BusUser } from '@keymint/contracts';
import { NatsAccess, natsConnectionOptions } from '@keymint/messaging';
import { ensureBusCredentials, nkeyVariableOf, seedFileOf } from '../scripts/lib/nats-auth';
import { findNatsServer, NatsServerProcess } from '../scripts/lib/nats-server';
import { freePort } from '../scripts/lib/ports';
import { distDir } from '../scripts/lib/services';

/**
 * The nats-server configurations keymint hands out beyond `npm start`, run
 * for real: the compose layout's credentials step, and the block
 * docs/operations.md tells an operator to paste into their own server.
 */
const script = join(distDir(), 'scripts', 'nats-credentials.js');

describe('the NATS configurations for compose and for your own server', () => {
  let dir: string;
  let server: NatsServerProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-nats-config-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** `env`: the $VARIABLES the configuration refers to. */
  async function serve(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    server = new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'store'), logFile: join(dir, 'nats.log'), configFile, env });
    await server.start();
    return server.url;
  }

  /** Every bus user gets in with its own key and may reach JetStream; nobody gets in without one. */
  async function expectOnlyKeymintUsers(url: string, seedOf: (user: BusUser) => string): Promise<void> {
    for (const user of BUS_USERS) {
      const access: NatsAccess = { url, user, nkeySeedFile: seedOf(user) };
      const connection = await connect({ ...natsConnectionOptions(access, `config-test-${user}`), waitOnFirstConnect: false, reconnect: false });
      await connection.jetstreamManager(); // $JS.API.INFO, allowed to every user
      await connection.close();
    }
    await expect(connect({ servers: url, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  }

  it("compose's credentials step: a key per service in a folder of its own (0600), and a server that admits those keys only", async () => {
    execFileSync(process.execPath, [script, dir, '--cluster', 'nats-1,nats-2,nats-3']);
    for (const user of BUS_USERS) {
      expect(statSync(seedFileOf(dir, user)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, user)).mode & 0o777).toBe(0o700);
    }
    const seedsBefore = BUS_USERS.map((user) => readFileSync(seedFileOf(dir, user), 'utf8'));
    execFileSync(process.execPath, [script, dir, '--cluster', 'nats-1,nats-2,nats-3']);
    expect(BUS_USERS.map((user) => readFileSync(seedFileOf(dir, user), 'utf8'))).toEqual(seedsBefore);

    // The cluster nodes' configuration is valid nats-server configuration with authenticated routes.
    const clusterConfig = readFileSync(join(dir, 'server', 'cluster.conf'), 'utf8');
    expect(clusterConfig).toMatch(/authorization \{ user: route, password: "[^"]{20,}" \}/);
    const check = spawnSync(findNatsServer()!, ['-c', join(dir, 'server', 'cluster.conf'), '-t'], { encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toContain('is valid');

    await expectOnlyKeymintUsers(await serve(join(dir, 'server', 'nats-server.conf')), (user) => seedFileOf(dir, user));
  });

  it('docs/operations.md: the configuration to paste is the one keymint derives, and works with the keys in the environment', async () => {
    const operations = readFileSync(join(__dirname, '..', 'docs', 'operations.md'), 'utf8');
    const block = /<!-- nats-authorization -->\s*```conf\n([\s\S]*?)```/.exec(operations);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(execFileSync(process.execPath, [script, '--print-config'], { encoding: 'utf8' }));

    const credentials = ensureBusCredentials(join(dir, 'keys'));
    const configFile = join(dir, 'operator.conf');
    writeFileSync(configFile, block![1]);
    const env = Object.fromEntries(BUS_USERS.map((user) => [nkeyVariableOf(user), credentials[user].publicKey]));
    await expectOnlyKeymintUsers(await serve(configFile, env), (user) => credentials[user].seedFile);
  });
});
