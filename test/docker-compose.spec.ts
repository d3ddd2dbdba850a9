import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ServiceName, SERVICE_NAMES, serviceEnvShapes } from '@keymint/config';
import { ObservabilityController, routesOf } from '@keymint/http-kit';
import { seedFileOf } from '../scripts/lib/nats-auth';
import { SCALE_OUT_LAYOUT } from '../scripts/lib/scale-out';
import { SERVICE_CATALOG } from '../scripts/lib/services';

/**
 * No Docker engine runs where keymint is tested, so this keeps
 * docker-compose.yml and the Dockerfile honest by reading them: every service,
 * port, variable and path must match the code.
 */
const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      build?: { context: string; args?: Record<string, string> };
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean; volume?: { subpath?: string } }>;
      depends_on?: Record<string, { condition?: string }>;
      healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
      configs?: Array<{ source: string; target: string }>;
      restart?: string;
      image?: string;
      command?: string[];
      profiles?: string[];
      deploy?: { replicas?: number };
    }
  >;
  volumes: Record<string, unknown>;
  configs?: Record<string, { content?: string }>;
};
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

type ComposeService = (typeof compose.services)[string];

/** The volume mounted at `target`: its source, subpath and whether it is read-only. */
function mountOf(service: ComposeService, target: string): { source: string; subpath?: string; readOnly: boolean } | undefined {
  const mount = (service.volumes ?? []).find((volume) => typeof volume !== 'string' && volume.target === target);
  if (!mount || typeof mount === 'string') return undefined;
  return { source: mount.source, subpath: mount.volume?.subpath, readOnly: Boolean(mount.read_only) };
}

describe('docker-compose.yml', () => {
  it('runs NATS with JetStream, its credentials step and exactly the three keymint services by default', () => {
    const defaults = Object.entries(compose.services).filter(([, service]) => !service.profiles);
    expect(defaults.map(([name]) => name).sort()).toEqual(['nats', 'nats-credentials', ...SERVICE_NAMES].sort());
    expect(compose.services.nats.command).toEqual(expect.arrayContaining(['-js']));
  });

  it('publishes no NATS port, and every NATS node admits only the users of the generated configuration', () => {
    const natsNodes = Object.entries(compose.services).filter(([, service]) => service.image?.startsWith('nats:'));
    expect(natsNodes.map(([name]) => name).sort()).toEqual(['nats', 'nats-1', 'nats-2', 'nats-3']);
    for (const [name, node] of natsNodes) {
      expect({ name, ports: node.ports }).toEqual({ name, ports: undefined });
      const command = node.command!;
      // The configuration it runs is the generated one, included from a file that adds only the monitoring endpoint.
      const config = command[command.indexOf('-c') + 1];
      expect(config).toBe(name === 'nats' ? '/etc/nats-compose/nats-server.conf' : '/etc/nats-compose/cluster.conf');
      const included = natsConfigOf(node, config).match(/^include (\S+)$/m)![1];
      expect(join('/etc/nats-compose', included)).toBe(name === 'nats' ? '/etc/nats/nats-server.conf' : '/etc/nats/cluster.conf');
      expect(mountOf(node, '/etc/nats')).toEqual({ source: 'nats-auth', subpath: 'server', readOnly: true });
      expect(node.depends_on).toHaveProperty('nats-credentials', { condition: 'service_completed_successfully' });
      // The monitoring endpoint is not authenticated: on the container's loopback only, for the health check.
      expect(command).not.toContain('-m');
      expect(natsConfigOf(node, config).match(/^(http|http_port|monitor_port|https?_host)\b.*$/gm)).toEqual(['http: "127.0.0.1:8222"']);
    }
  });

  it('generates the credentials with the script that writes that configuration, for the cluster nodes too', () => {
    const step = compose.services['nats-credentials'];
    expect(step.command!.slice(0, 3)).toEqual(['node', 'dist/scripts/nats-credentials.js', '/data']);
    expect(existsSync(join(root, 'scripts', 'nats-credentials.ts'))).toBe(true);
    expect(step.volumes).toEqual(['nats-auth:/data']);
    const nodes = Object.keys(compose.services).filter((name) => /^nats-\d$/.test(name));
    expect(step.command![step.command!.indexOf('--cluster') + 1].split(',').sort()).toEqual(nodes.sort());
  });

  it('gives every keymint service, replicas included, its own NATS key and no other', () => {
    const keymintServices = Object.entries(compose.services).filter(([, service]) => service.build?.args?.APP && service.command === undefined);
    expect(keymintServices).toHaveLength(6);
    for (const [name, service] of keymintServices) {
      const app = service.build!.args!.APP;
      const seedFile = service.environment?.NATS_NKEY_SEED_FILE;
      expect({ name, seedFile }).toEqual({ name, seedFile: `/run/nats/${app}.nk` });
      // The mounted folder is the one nats-credentials writes this service's key into, and holds nothing else.
      expect(mountOf(service, '/run/nats')).toEqual({ source: 'nats-auth', subpath: app, readOnly: true });
      expect(seedFileOf('/run/nats', app as ServiceName)).toBe(`/run/nats/${app}/${app}.nk`);
      expect(service.depends_on).toHaveProperty('nats-credentials', { condition: 'service_completed_successfully' });
    }
  });

  it('gives every keymint service, replicas included, the same TOKEN_EVENT_RETENTION (each brings the TOKENS stream to its own)', () => {
    const keymintServices = Object.values(compose.services).filter((service) => service.build?.args?.APP && service.command === undefined);
    expect(keymintServices.length).toBe(6);
    const retentions = new Set(keymintServices.map((service) => service.environment?.TOKEN_EVENT_RETENTION));
    expect([...retentions]).toEqual(['${TOKEN_EVENT_RETENTION:-604800}']);
    expect(serviceEnvShapes.analytics.TOKEN_EVENT_RETENTION.parse(undefined)).toBe(604800);
  });

  it('lets every keymint service, replicas included, be told which proxies name the client (TRUST_PROXY, off unless set)', () => {
    const keymintServices = Object.values(compose.services).filter((service) => service.build?.args?.APP && service.command === undefined);
    const trusted = new Set(keymintServices.map((service) => service.environment?.TRUST_PROXY));
    expect([...trusted]).toEqual(['${TRUST_PROXY:-}']);
    // What compose passes when the variable is unset: no proxy is trusted.
    expect(serviceEnvShapes.analytics.TRUST_PROXY.parse('')).toBe(false);
  });

  describe.each(SERVICE_NAMES)('%s', (name) => {
    const service = compose.services[name];
    const shape = serviceEnvShapes[name] as Record<string, { parse(value: unknown): unknown }>;
    const environment = service.environment ?? {};

    it('is built from the one Dockerfile with its own APP', () => {
      expect(service.build?.context).toBe('.');
      expect(service.build?.args?.APP).toBe(name);
      expect(existsSync(join(root, 'apps', name, 'src', 'main.ts'))).toBe(true);
      expect(SERVICE_CATALOG[name].entry).toBe(`apps/${name}/src/main.js`);
    });

    it('sets only variables its config schema knows', () => {
      const unknown = Object.keys(environment).filter((variable) => !(variable in shape));
      expect(unknown).toEqual([]);
    });

    it('publishes only its default HTTPS port; plain HTTP stays on the container\'s loopback, for the healthcheck', () => {
      const { httpsPortVariable, httpPortVariable } = SERVICE_CATALOG[name];
      const httpsDefault = shape[httpsPortVariable].parse(undefined) as number;
      const httpDefault = shape[httpPortVariable].parse(undefined) as number;
      expect(Number(environment[httpsPortVariable])).toBe(httpsDefault);
      expect(Number(environment[httpPortVariable])).toBe(httpDefault);
      expect(service.ports).toEqual([`${httpsDefault}:${httpsDefault}`]);
      // Plain HTTP keeps its loopback default: nothing in the compose file opens it.
      expect(environment).not.toHaveProperty('HTTP_BIND_HOST');
      expect(shape.HTTP_BIND_HOST.parse(undefined)).toBe('127.0.0.1');
      expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${httpDefault}/health/ready`);
    });

    it('talks to the compose NATS and keeps its data in a named volume at DATA_DIR', () => {
      expect(environment.NATS_URL).toBe('nats://nats:4222');
      expect(service.depends_on).toHaveProperty('nats');
      const dataVolume = (service.volumes ?? []).find((volume): volume is string => typeof volume === 'string' && volume.endsWith(`:${environment.DATA_DIR}`));
      expect(dataVolume).toBeDefined();
      expect(compose.volumes).toHaveProperty(dataVolume!.split(':')[0]);
    });
  });
});

/** The content of the compose config mounted at `target` in `service`. */
function natsConfigOf(service: ComposeService, target: string): string {
  const mounted = (service.configs ?? []).find((config) => config.target === target);
  const content = mounted && compose.configs?.[mounted.source]?.content;
  if (!content) throw new Error(`no config with content is mounted at ${target}`);
  return content;
}

describe('docker-compose.yml health checks and start order', () => {
  const services = Object.entries(compose.services);
  const keymintServices = services.filter(([, service]) => service.build?.args?.APP && service.command === undefined);
  const probePaths = routesOf([ObservabilityController]).flatMap((route) => route.paths);

  it('starts a service only once what it needs is healthy (or, for the one-shot credentials step, has finished)', () => {
    const dependencies = services.flatMap(([name, service]) => Object.entries(service.depends_on ?? {}).map(([dependency, { condition }]) => ({ name, dependency, condition })));
    expect(dependencies.length).toBeGreaterThan(10);
    for (const { name, dependency, condition } of dependencies) {
      const oneShot = compose.services[dependency].restart === 'no';
      expect({ name, dependency, condition }).toEqual({ name, dependency, condition: oneShot ? 'service_completed_successfully' : 'service_healthy' });
      if (!oneShot) expect({ dependency, healthcheck: Boolean(compose.services[dependency].healthcheck) }).toEqual({ dependency, healthcheck: true });
    }
  });

  it('checks every keymint service, replicas included, with GET /health/ready on its own plain-HTTP port', () => {
    expect(keymintServices).toHaveLength(6);
    expect(probePaths).toEqual(expect.arrayContaining(['/health/ready', '/health/live', '/health/started']));
    for (const [name, service] of keymintServices) {
      const app = service.build!.args!.APP as ServiceName;
      const shape = serviceEnvShapes[app] as Record<string, { parse(value: unknown): unknown }>;
      const httpPort = service.environment?.[SERVICE_CATALOG[app].httpPortVariable] ?? String(shape[SERVICE_CATALOG[app].httpPortVariable].parse(undefined));
      const test = service.healthcheck?.test ?? [];
      const url = test.join(' ').match(/http:\/\/127\.0\.0\.1:(\d+)(\/[\w/]*)/);
      expect({ name, port: url?.[1], path: url?.[2] }).toEqual({ name, port: httpPort, path: '/health/ready' });
      expect(probePaths).toContain(url![2]);
      // The image has node and nothing like curl: the check is a fetch that exits 0 only on a 2xx answer.
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(test[3]).toContain('process.exit(r.ok ? 0 : 1)');
      expect(service.healthcheck?.start_period).toBeDefined();
    }
  });

  it("checks every NATS node with its /healthz (JetStream included), on an image that has wget (the scratch variant has no shell and no wget)", () => {
    const natsNodes = services.filter(([, service]) => service.image?.startsWith('nats:'));
    for (const [name, node] of natsNodes) {
      expect({ name, image: node.image }).toEqual({ name, image: expect.stringMatching(/^nats:[\d.]+-alpine$/) });
      expect(node.healthcheck?.test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8222/healthz']);
    }
  });

  it('checks PostgreSQL with pg_isready over TCP, as its user and database', () => {
    const postgres = compose.services.postgres;
    expect(postgres.healthcheck?.test).toEqual(['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', postgres.environment!.POSTGRES_USER, '-d', postgres.environment!.POSTGRES_DB]);
  });
});

describe('docker-compose.yml scale-out profile', () => {
  const profiled = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('scale-out'));
  const keymint = profiled.filter(([, service]) => service.build);
  const natsNodes = profiled.filter(([name]) => /^nats-\d$/.test(name));

  it('has PostgreSQL, a three-node NATS cluster and every keymint service', () => {
    expect(profiled.map(([name]) => name)).toContain('postgres');
    expect(natsNodes).toHaveLength(3);
    expect(keymint.map(([, service]) => service.build!.args!.APP).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('names every NATS node and gives it the cluster configuration (routes to all three, authenticated)', () => {
    for (const [name, node] of natsNodes) {
      const command = node.command!.join(' ');
      expect(command).toContain('-js');
      expect(command).toContain(`--server_name ${name}`);
      // The generated cluster.conf, included by the file that adds the monitoring endpoint (checked above).
      expect(command).toContain('-c /etc/nats-compose/cluster.conf');
    }
  });

  it.each(SERVICE_NAMES)('points %s at the cluster, replicas 3, and PostgreSQL', (name) => {
    const [, service] = keymint.find(([, candidate]) => candidate.build!.args!.APP === name)!;
    const shape = serviceEnvShapes[name] as Record<string, unknown>;
    const environment = service.environment ?? {};
    expect(Object.keys(environment).filter((variable) => !(variable in shape))).toEqual([]);
    for (const [node] of natsNodes) expect(environment.NATS_URL).toContain(`nats://${node}:4222`);
    expect(environment.NATS_STREAM_REPLICAS).toBe('3');
    expect(environment.DB_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
  });

  it.each(SERVICE_NAMES)('publishes only the HTTPS port of %s, whose plain HTTP stays on loopback', (name) => {
    const [, service] = keymint.find(([, candidate]) => candidate.build!.args!.APP === name)!;
    const httpsDefault = (serviceEnvShapes[name] as Record<string, { parse(value: unknown): unknown }>)[SERVICE_CATALOG[name].httpsPortVariable].parse(undefined);
    expect(service.ports).toHaveLength(1);
    expect(service.ports![0]).toMatch(new RegExp(`:${httpsDefault}$`));
    expect(service.environment ?? {}).not.toHaveProperty('HTTP_BIND_HOST');
  });

  it('is the layout the fault runs test: as many NATS nodes, and as many replicas of every service', () => {
    expect(natsNodes).toHaveLength(SCALE_OUT_LAYOUT.natsNodes);
    for (const name of SERVICE_NAMES) {
      const [, service] = keymint.find(([, candidate]) => candidate.build!.args!.APP === name)!;
      expect({ name, replicas: service.deploy?.replicas }).toEqual({ name, replicas: SCALE_OUT_LAYOUT.replicasPerService });
      // One published HTTPS port per replica.
      const [first, last] = service.ports![0].split(':')[0].split('-').map(Number);
      expect({ name, ports: last - first + 1 }).toEqual({ name, ports: SCALE_OUT_LAYOUT.replicasPerService });
    }
  });
});

describe('Dockerfile', () => {
  it('starts the entry point the catalog names for the chosen APP', () => {
    expect(dockerfile).toContain('ARG APP');
    expect(dockerfile).toContain('dist/apps/${APP}/src/main.js');
    for (const name of SERVICE_NAMES) expect(SERVICE_CATALOG[name].entry).toBe(`apps/${name}/src/main.js`);
  });

  it('builds with the same script as npm run build', () => {
    const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(dockerfile).toContain('RUN npm run build');
    expect(packageJson.scripts.build).toContain('tsconfig.build.json');
    for (const file of ['tsconfig.base.json', 'tsconfig.build.json']) expect(dockerfile).toContain(file);
  });

  it("keeps a local data/ folder (signing and TLS keys, SQLite files, NATS credentials) out of the build context, and nothing it copies", () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const secretFolder of ['data/', 'node_modules/', '.git/', '.env']) expect(ignored).toContain(secretFolder);
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1].split(/\s+/));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'apps', 'libs', 'scripts']));
    const ignores = (path: string) => ignored.some((pattern) => path === pattern.replace(/\/$/, '') || path.startsWith(pattern));
    expect(copied.filter(ignores)).toEqual([]);
  });
});
