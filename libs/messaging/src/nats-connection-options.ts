import { readFileSync } from 'node:fs';
import { Authenticator, ConnectionOptions, credsAuthenticator, nkeyAuthenticator, usernamePasswordAuthenticator } from 'nats';
import type { CommonConfig } from '@keymint/config';
import { BusUser, inboxPrefix } from '@keymint/contracts';

/**
 * How a service reaches NATS and proves who it is: plain data (it crosses to
 * the outbox relay's worker thread), turned into connection options by
 * `natsConnectionOptions`. At most one of the three ways to authenticate.
 */
export interface NatsAccess {
  /** Comma-separated server URLs (NATS_URL). */
  url: string;
  /** The bus user the service is: its replies arrive under that user's inbox prefix, the only one it may read. */
  user: BusUser;
  /** NATS_CREDS: a .creds file (user JWT and NKEY seed), as NATS operators hand them out. */
  credsFile?: string;
  /** NATS_NKEY_SEED_FILE: a file holding the user's NKEY seed (`SU…`); what `npm start` generates. */
  nkeySeedFile?: string;
  /** NATS_USER / NATS_PASSWORD. */
  username?: string;
  password?: string;
  /** NATS_TLS_CA (and NATS_TLS_CERT / NATS_TLS_KEY for a client certificate): PEM files. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** The access settings of a service from its validated configuration; a contradictory combination is refused, naming the variables. */
export function natsAccessFromConfig(config: CommonConfig, user: BusUser): NatsAccess {
  const ways = [
    config.NATS_CREDS && 'NATS_CREDS',
    config.NATS_NKEY_SEED_FILE && 'NATS_NKEY_SEED_FILE',
    (config.NATS_USER || config.NATS_PASSWORD) && 'NATS_USER/NATS_PASSWORD',
  ].filter(Boolean);
  if (ways.length > 1) throw new Error(`Invalid configuration: give one way to authenticate to NATS, not ${ways.join(' and ')}`);
  if (Boolean(config.NATS_USER) !== Boolean(config.NATS_PASSWORD)) {
    throw new Error('Invalid configuration: NATS_USER and NATS_PASSWORD go together');
  }
  if (Boolean(config.NATS_TLS_CERT) !== Boolean(config.NATS_TLS_KEY)) {
    throw new Error('Invalid configuration: NATS_TLS_CERT and NATS_TLS_KEY go together (a client certificate and its key)');
  }
  const tlsWanted = config.NATS_TLS_CA || config.NATS_TLS_CERT;
  return {
    url: config.NATS_URL,
    user,
    credsFile: config.NATS_CREDS,
    nkeySeedFile: config.NATS_NKEY_SEED_FILE,
    username: config.NATS_USER,
    password: config.NATS_PASSWORD,
    tls: tlsWanted ? { caFile: config.NATS_TLS_CA, certFile: config.NATS_TLS_CERT, keyFile: config.NATS_TLS_KEY } : undefined,
  };
}

/**
 * How every keymint connection to NATS behaves: it authenticates as the
 * service's user, reads replies under that user's inbox prefix, waits for a
 * server that is not up yet and reconnects forever. Used by each of a
 * service's connections (JetStream, RPC client, RPC server, the outbox
 * relay's thread).
 */
export function natsConnectionOptions(access: NatsAccess, name: string): ConnectionOptions {
  return {
    // NATS_URL lists a cluster's nodes, comma-separated (spaces after the commas allowed): the client picks one and
    // moves to another when it goes away.
    servers: access.url
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
    name,
    inboxPrefix: inboxPrefix(access.user),
    authenticator: authenticatorOf(access),
    tls: access.tls,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5000,
    maxPingOut: 2,
    // RPCs and JetStream API calls are requests; capturing a stack trace for each cost ~7% of the token path
    // when the relay still published through requests.
    noAsyncTraces: true,
  };
}

function authenticatorOf(access: NatsAccess): Authenticator | undefined {
  if (access.credsFile) return credsAuthenticator(readSecretFile(access.credsFile, 'NATS_CREDS'));
  if (access.nkeySeedFile) return nkeyAuthenticator(readSecretFile(access.nkeySeedFile, 'NATS_NKEY_SEED_FILE', true));
  if (access.username) return usernamePasswordAuthenticator(access.username, access.password);
  return undefined;
}

/** Read once at start (a reconnect reuses it); a missing file stops the service with the variable's name. */
function readSecretFile(path: string, variable: string, trim = false): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${variable}=${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return new TextEncoder().encode(trim ? text.trim() : text);
}
