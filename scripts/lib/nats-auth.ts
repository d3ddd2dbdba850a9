/**
 * The embedded NATS's users: one NKEY per bus user (bus-access.ts), generated
 * once into a folder of DATA_DIR only its owner can read, and the
 * nats-server configuration that admits exactly those users with exactly
 * their permissions. Used by `npm start`, the test clusters and the compose
 * layout's credentials step, so all three run the same bus.
 *
 * NKEYs rather than passwords: the server holds only public keys, and a
 * client proves itself by signing the server's challenge, so the secret
 * never crosses the connection, even without TLS.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { BUS_USERS, BusUser, natsPermissions } from '@keymint/contracts';
import { NatsServerOptions, NatsServerProcess } from './nats-server';

/** A user's NKEY: the seed file the client reads (NATS_NKEY_SEED_FILE) and the public key the server knows. */
export interface BusCredential {
  seedFile: string;
  publicKey: string;
}

export type BusCredentials = Record<BusUser, BusCredential>;

/**
 * The file holding `user`'s seed under `dir`: a folder per user, so that each
 * service can be given its own folder and nothing else (compose mounts them so).
 */
export function seedFileOf(dir: string, user: BusUser): string {
  return join(dir, user, `${user}.nk`);
}

/**
 * Every bus user's NKEY under `dir`: read when there, else generated. The
 * folders are 0700 and each seed 0600 (a seed is the user's whole identity).
 */
export function ensureBusCredentials(dir: string): BusCredentials {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const credentials = {} as BusCredentials;
  for (const user of BUS_USERS) {
    const seedFile = seedFileOf(dir, user);
    mkdirSync(join(dir, user), { recursive: true, mode: 0o700 });
    chmodSync(join(dir, user), 0o700);
    if (!existsSync(seedFile)) writeFileSync(seedFile, `${new TextDecoder().decode(nkeys.createUser().getSeed())}\n`, { mode: 0o600 });
    chmodSync(seedFile, 0o600);
    const keyPair = nkeys.fromSeed(new TextEncoder().encode(readFileSync(seedFile, 'utf8').trim()));
    credentials[user] = { seedFile, publicKey: keyPair.getPublicKey() };
  }
  return credentials;
}

/** Where the credentials of a DATA_DIR live (the launcher's and the test clusters'). */
export function credentialsDirOf(dataDir: string): string {
  return join(dataDir, 'nats-credentials');
}

/**
 * The `authorization` block of nats-server's configuration: each user by its
 * public key with the permissions of its role; nobody else, and no anonymous
 * connection, gets in. `nkeys` gives each user's key, or with
 * `{ fromEnvironment: true }` the name of the environment variable holding it
 * (the block printed in docs/operations.md). The permissions are JSON, which
 * nats-server's configuration accepts.
 */
export function authorizationConfig(nkeys: Record<BusUser, string>, options: { fromEnvironment?: boolean } = {}): string {
  const users = BUS_USERS.map((user) => {
    const nkey = options.fromEnvironment ? `$${nkeys[user]}` : JSON.stringify(nkeys[user]);
    return `    { nkey: ${nkey}, permissions: ${JSON.stringify(natsPermissions(user))} } # ${user}`;
  });
  return ['authorization {', '  users: [', ...users, '  ]', '}', ''].join('\n');
}

/** The environment variable that holds a user's public NKEY in the configuration of docs/operations.md. */
export function nkeyVariableOf(user: BusUser): string {
  return `KEYMINT_${user.toUpperCase().replace(/-/g, '_')}_NKEY`;
}

/** Writes the nats-server configuration (0600) for these credentials to `file`. */
export function writeNatsServerConfig(file: string, credentials: BusCredentials): void {
  const publicKeys = Object.fromEntries(BUS_USERS.map((user) => [user, credentials[user].publicKey])) as Record<BusUser, string>;
  const text = [
    '# Written by keymint at every start from the NKEYs in its credentials folder; edits are overwritten.',
    '# Each keymint service connects as its own user with the permissions of its role; nothing else is admitted.',
    authorizationConfig(publicKeys),
  ].join('\n');
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * A nats-server for a keymint DATA_DIR that admits only keymint's bus users:
 * their NKEYs in `DATA_DIR/nats-credentials`, its configuration written to
 * `DATA_DIR/nats-server.conf`, its JetStream store in `DATA_DIR/nats`.
 */
export function authenticatedNatsServer(
  dataDir: string,
  options: Omit<NatsServerOptions, 'configFile' | 'storeDir'> & { storeDir?: string },
): { server: NatsServerProcess; credentials: BusCredentials } {
  const credentials = ensureBusCredentials(credentialsDirOf(dataDir));
  const configFile = join(dataDir, 'nats-server.conf');
  writeNatsServerConfig(configFile, credentials);
  return { server: new NatsServerProcess({ storeDir: join(dataDir, 'nats'), ...options, configFile }), credentials };
}

/**
 * The password the nodes of a NATS cluster give each other on their routes, generated once into `file` (0600).
 * Routes carry every message of the cluster: a server that joins as a route without it is refused.
 */
export function ensureRoutePassword(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/**
 * The `cluster` block of a node's configuration: it listens for routes on `listen` (host:port), accepts only
 * routes that know the password, and opens its own to every node of `routes` (host:port, itself included: a
 * node recognises and skips its own address) with it.
 */
export function clusterConfig(settings: { listen: string; password: string; routes: string[] }): string {
  const { listen, password, routes } = settings;
  return [
    'cluster {',
    '  name: keymint',
    `  listen: ${listen}`,
    `  authorization { user: route, password: ${JSON.stringify(password)} }`,
    `  routes: [${routes.map((route) => JSON.stringify(`nats-route://route:${password}@${route}`)).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

/**
 * `nodes` nats-servers for a keymint DATA_DIR forming one JetStream cluster, each on its own client port, route
 * port and store (`DATA_DIR/nats-<n>`), named `nats-<n>`, admitting only keymint's bus users (as
 * `authenticatedNatsServer`), with routes that authenticate with a password generated into
 * `DATA_DIR/nats-route-password`. Start them all; JetStream answers once they have elected a leader.
 */
export async function authenticatedNatsCluster(
  dataDir: string,
  options: { nodes: number; freePort: () => Promise<number> },
): Promise<{ servers: NatsServerProcess[]; credentials: BusCredentials }> {
  const credentials = ensureBusCredentials(credentialsDirOf(dataDir));
  writeNatsServerConfig(join(dataDir, 'nats-server.conf'), credentials);
  const routePassword = ensureRoutePassword(join(dataDir, 'nats-route-password'));
  const nodes: Array<{ name: string; port: number; routePort: number }> = [];
  for (let index = 1; index <= options.nodes; index++) nodes.push({ name: `nats-${index}`, port: await options.freePort(), routePort: await options.freePort() });
  const routes = nodes.map((node) => `127.0.0.1:${node.routePort}`);
  const servers = nodes.map((node) => {
    const configFile = join(dataDir, `${node.name}.conf`);
    writeFileSync(configFile, `include ./nats-server.conf\n${clusterConfig({ listen: `127.0.0.1:${node.routePort}`, password: routePassword, routes })}`, { mode: 0o600 });
    return new NatsServerProcess({
      port: node.port,
      storeDir: join(dataDir, node.name),
      serverName: node.name,
      routePort: node.routePort,
      configFile,
      logFile: join(dataDir, `${node.name}.log`),
    });
  });
  return { servers, credentials };
}
