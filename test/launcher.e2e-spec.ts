import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect as tcpConnect, createServer, Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { BUS_USERS } from '@keymint/contracts';
import { credentialsDirOf, seedFileOf } from '../scripts/lib/nats-auth';
import { freePort, waitFor } from '../scripts/lib/ports';
import { healthStatus } from '../scripts/lib/services';

/**
 * `npm start` as a newcomer runs it (the compiled launcher, which is what the
 * npm script runs after building): the whole cluster comes up healthy, rides
 * out a nats-server crash, and Ctrl-C stops everything with exit code 0.
 */
const launcher = join(__dirname, '..', 'dist', 'scripts', 'launcher.js');

/** An address of this machine that other machines reach (not loopback), or undefined when it has none. */
const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The status of GET https://host:port/health (the generated certificate is self-signed). */
function httpsHealth(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = httpsGet({ host, port, path: '/health', rejectUnauthorized: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startLauncher(env: NodeJS.ProcessEnv): Started {
  let output = '';
  const child = spawn(process.execPath, [launcher], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('npm start (launcher)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let httpPorts: number[];
  let httpsPorts: number[];
  let natsPort: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'keymint-launcher-'));
    const ports = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    natsPort = ports[6];
    httpPorts = [ports[1], ports[3], ports[5]];
    httpsPorts = [ports[0], ports[2], ports[4]];
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      NATS_PORT: String(natsPort),
      TOKEN_SERVICE_HTTPS_PORT: String(ports[0]),
      TOKEN_SERVICE_HTTP_PORT: String(ports[1]),
      REGISTRY_HTTPS_PORT: String(ports[2]),
      REGISTRY_HTTP_PORT: String(ports[3]),
      ANALYTICS_HTTPS_PORT: String(ports[4]),
      ANALYTICS_HTTP_PORT: String(ports[5]),
    };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints its usage with --help', () => {
    const help = execFileSync(process.execPath, [launcher, '--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: npm start');
    expect(help).toContain('NATS_URL');
  });

  it('brings up three healthy services, survives a nats-server crash and stops cleanly on Ctrl-C', async () => {
    const started = startLauncher(env);
    try {
      await waitFor(async () => started.output().includes('keymint is up'), 90_000, 'the launcher to report the cluster up');
      for (const port of httpPorts) expect(await healthStatus(port)).toBe(200);
      // The generated admin password is printed once and kept in the data folder.
      expect(started.output()).toMatch(/admin user\s+admin \/ \S{12,}/);

      // The embedded bus: loopback only, nobody without a key, each service's key its own and readable by its owner only.
      const natsCommand = execFileSync('pgrep', ['-af', `nats-server.*-p ${natsPort}`], { encoding: 'utf8' }).trim().split('\n')[0];
      expect(natsCommand).toContain('-a 127.0.0.1');
      expect(natsCommand).toContain(`-c ${join(dataDir, 'nats-server.conf')}`);
      await expect(connect({ servers: `nats://127.0.0.1:${natsPort}`, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
      for (const user of BUS_USERS) expect(statSync(seedFileOf(credentialsDirOf(dataDir), user)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'nats-server.conf')).mode & 0o777).toBe(0o600);

      const natsPid = Number(natsCommand.split(' ')[0]);
      process.kill(natsPid, 'SIGKILL');
      await waitFor(async () => (await Promise.all(httpPorts.map(healthStatus))).every((status) => status === 503), 20_000, 'every /health to say 503');
      await waitFor(async () => (await Promise.all(httpPorts.map(healthStatus))).every((status) => status === 200), 60_000, 'every /health to recover');
      expect(started.output()).toContain('nats-server exited');

      started.child.kill('SIGINT');
      expect(await started.exited).toBe(0);
      for (const port of httpPorts) expect(await healthStatus(port)).toBe(0);
    } finally {
      started.child.kill('SIGKILL');
    }
  }, 180_000);

  it('shows the generated admin password on the first start only, not on every start after', async () => {
    const password = readFileSync(join(dataDir, 'admin-credentials'), 'utf8').match(/ADMIN_PASSWORD=(\S+)/)![1];
    const restarted = startLauncher(env);
    try {
      await waitFor(async () => restarted.output().includes('keymint is up'), 90_000, 'the launcher to report the cluster up again');
      expect(restarted.output()).toContain(`admin user            admin, password in ${join(dataDir, 'admin-credentials')}`);
      expect(restarted.output()).not.toContain(password);
      restarted.child.kill('SIGINT');
      expect(await restarted.exited).toBe(0);
    } finally {
      restarted.child.kill('SIGKILL');
    }
  }, 120_000);

  it('keeps plain HTTP off the network: it listens on loopback only, and from a non-loopback address only HTTPS answers, while HTTP still answers on localhost', async () => {
    const started = startLauncher(env);
    try {
      await waitFor(async () => started.output().includes('keymint is up'), 90_000, 'the launcher to report the cluster up');
      for (const [index, httpPort] of httpPorts.entries()) {
        // What the kernel accepts connections on, whatever interfaces this machine has: loopback for clear text.
        expect({ httpPort, listening: listeningAddresses(httpPort) }).toEqual({ httpPort, listening: ['127.0.0.1'] });
        expect({ httpsPort: httpsPorts[index], listening: listeningAddresses(httpsPorts[index]) }).toEqual({ httpsPort: httpsPorts[index], listening: ['0.0.0.0'] });
        if (networkAddress) {
          // The attacker on the network: the clear-text port does not even accept a connection; HTTPS answers.
          expect({ httpPort, open: await accepts(networkAddress, httpPort) }).toEqual({ httpPort, open: false });
          expect(await httpsHealth(networkAddress, httpsPorts[index])).toBe(200);
        }
        // On the machine itself, plain HTTP works as before, by name as curl uses it.
        expect((await fetch(`http://localhost:${httpPort}/health`)).status).toBe(200);
      }
      expect(started.output()).toContain('plain http            this machine only (HTTP_BIND_HOST)');
    } finally {
      // Ctrl-C even when an expectation failed, so that no service outlives the test.
      started.child.kill('SIGINT');
      expect(await started.exited).toBe(0);
    }
  }, 120_000);

  it('refuses to start when a port is taken, naming the variable to change', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.REGISTRY_HTTP_PORT), '127.0.0.1', resolve));
    try {
      const started = startLauncher(env);
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain(`port ${env.REGISTRY_HTTP_PORT}`);
      expect(started.output()).toContain('REGISTRY_HTTP_PORT');
    } finally {
      blocker.close();
    }
  });
});

/**
 * The local addresses on which the machine listens for TCP connections to `port` (Linux's /proc/net/tcp and
 * tcp6, state 0A): what the kernel accepts, whether or not this machine has an address to try it from.
 */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue;
      const [hexAddress, hexPort] = fields[1].split(':');
      if (parseInt(hexPort, 16) !== port) continue;
      // IPv4 is written as one little-endian 32-bit word; anything else is kept in its hex form.
      found.push(hexAddress.length === 8 ? hexAddress.match(/../g)!.reverse().map((byte) => parseInt(byte, 16)).join('.') : hexAddress);
    }
  }
  return found;
}
