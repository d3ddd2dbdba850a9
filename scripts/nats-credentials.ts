/**
 * The bus's credentials and nats-server configuration, for layouts that do
 * not go through `npm start`: the compose file runs it once before NATS and
 * the services start, and an operator prints the configuration to paste into
 * their own nats-server (docs/operations.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUS_USERS, BusUser } from '@keymint/contracts';
import { authorizationConfig, clusterConfig, ensureBusCredentials, ensureRoutePassword, nkeyVariableOf, writeNatsServerConfig } from './lib/nats-auth';

const HELP = `Usage: node dist/scripts/nats-credentials.js <dir> [--cluster <node,node,...>]
       node dist/scripts/nats-credentials.js --print-config

<dir>   On the first run, generates an NKEY for each of keymint's NATS users
        (${BUS_USERS.join(', ')}) into <dir>/<user>/<user>.nk (0600), and
        writes <dir>/server/nats-server.conf: those users, each with the
        permissions of its role, and nobody else. Later runs keep the keys.
        --cluster nats-1,nats-2,nats-3 also writes <dir>/server/cluster.conf
        for the nodes of a NATS cluster: the same users, and cluster routes
        that authenticate with a generated password.

--print-config
        Prints the nats-server authorization block for your own NATS, each
        user's public NKEY read from an environment variable
        (${BUS_USERS.map(nkeyVariableOf).join(', ')}).
`;

function main(argv: string[]): void {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  if (argv[0] === '--print-config') {
    const variables = Object.fromEntries(BUS_USERS.map((user) => [user, nkeyVariableOf(user)])) as Record<BusUser, string>;
    process.stdout.write(authorizationConfig(variables, { fromEnvironment: true }));
    return;
  }
  const dir = resolve(argv[0]);
  const clusterIndex = argv.indexOf('--cluster');
  const nodes = clusterIndex >= 0 ? (argv[clusterIndex + 1] ?? '').split(',').filter(Boolean) : [];
  if (clusterIndex >= 0 && nodes.length === 0) throw new Error('--cluster needs the node names, e.g. --cluster nats-1,nats-2,nats-3');

  const credentials = ensureBusCredentials(dir);
  const serverDir = join(dir, 'server');
  mkdirSync(serverDir, { recursive: true, mode: 0o700 });
  writeNatsServerConfig(join(serverDir, 'nats-server.conf'), credentials);
  if (nodes.length > 0) {
    // The users' configuration plus routes to every node, which accept only routes that know the password.
    const password = ensureRoutePassword(join(serverDir, 'route-password'));
    const cluster = clusterConfig({ listen: '0.0.0.0:6222', password, routes: nodes.map((node) => `${node}:6222`) });
    writeFileSync(join(serverDir, 'cluster.conf'), `include ./nats-server.conf\n${cluster}`, { mode: 0o600 });
  }
  process.stdout.write(`keymint NATS users and configuration in ${dir}\n`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`nats-credentials: ${(error as Error).message}\n`);
  process.exit(1);
}
