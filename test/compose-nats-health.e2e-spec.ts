import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { parse } from 'yaml';
import { NatsServerProcess } from '../scripts/lib/nats-server';
import { freePort, isListening } from '../scripts/lib/ports';
import { distDir } from '../scripts/lib/services';
import { http } from './support/http';

/**
 * The nats-server configuration docker-compose.yml gives its NATS (no Docker engine runs here, so it is run with
 * the real nats-server the way the container does): the generated configuration, included from /etc/nats, still
 * admits only keymint's users, and /healthz answers for the health check on loopback only.
 */
describe("docker-compose.yml's NATS configuration", () => {
  const compose = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as { configs: Record<string, { content: string }> };
  let dir: string;
  let server: NatsServerProcess;
  let monitoringPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-e2e-compose-nats-'));
    // What the nats-credentials step writes into the nats-auth volume, whose server/ folder the container mounts at /etc/nats.
    const generated = spawnSync(process.execPath, [join(distDir(), 'scripts', 'nats-credentials.js'), join(dir, 'nats-auth')], { encoding: 'utf8' });
    expect(generated.status).toBe(0);
    mkdirSync(join(dir, 'etc', 'nats-compose'), { recursive: true });
    symlinkSync(join(dir, 'nats-auth', 'server'), join(dir, 'etc', 'nats'));
    // The compose config, on a free port instead of 8222 (other tests run beside this one).
    monitoringPort = await freePort();
    const content = compose.configs['nats-monitoring'].content.replace(/:8222"/, `:${monitoringPort}"`);
    writeFileSync(join(dir, 'etc', 'nats-compose', 'nats-server.conf'), content);
    server = new NatsServerProcess({ port: await freePort(), storeDir: join(dir, 'store'), configFile: join(dir, 'etc', 'nats-compose', 'nats-server.conf'), logFile: join(dir, 'nats.log') });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the health check at /healthz, JetStream included', async () => {
    const response = await http(`http://127.0.0.1:${monitoringPort}/healthz`);
    expect({ status: response.status, body: response.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('still admits only the generated users', async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it('listens for monitoring on loopback only (the endpoint is not authenticated)', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && address.family === 'IPv4' && !address.internal)
      .map((address) => address!.address);
    for (const address of others) expect({ address, listening: await isListening(monitoringPort, address) }).toEqual({ address, listening: false });
  });
});
