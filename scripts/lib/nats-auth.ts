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
