import { SCENARIOS, ScenarioId } from './scenarios';

/** What `npm run bench -- …` was asked to do. */
export interface BenchOptions {
  help: boolean;
  /** Measured run per side, seconds. */
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Measured runs per side and scenario, keymint and the peer taking turns. */
  rounds: number;
  scenarios: ScenarioId[];
  /** Given together: use a running keymint instead of starting clusters. */
  external?: { tokenUrl: string; registryUrl: string; analyticsUrl?: string; admin: { username: string; password: string } };
  /** A PostgreSQL server (admin URL) where each started cluster gets a fresh database; SQLite when absent. */
  postgresUrl?: string;
  /** Token-service replicas measured after each scenario's own rounds (PostgreSQL only); 1: none. */
  replicas: number;
  /** TOKEN_WORKERS of the token service of every started cluster (PostgreSQL only); 1: one process. */
  tokenWorkers: number;
  /** Where the report goes; null with --no-write. */
  docsPath: string | null;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- [options]

Benchmarks keymint's token endpoint against panva's oidc-provider 9, side by side.

Options:
  --duration <s>        measured run per side, seconds (default 10)
  --warmup <s>          warm-up before each measured run, seconds (default 3)
  --connections <n>     autocannon connections (default 50)
  --rounds <n>          measured runs per side and scenario, keymint and the peer taking turns
                        (keymint, peer, peer, keymint, ...); the table shows medians (default 2)
  --scenarios <ids>     comma-separated subset of: ${SCENARIOS.map((scenario) => scenario.id).join(', ')}
  --token-url <url>     use a running token service (plain HTTP base URL) instead of starting clusters;
  --registry-url <url>    needs --registry-url and --admin too; --analytics-url is optional
  --analytics-url <url>   (without it the analytics columns show '-')
  --admin <user:pass>   admin credentials of that running cluster
  --postgres <url>      PostgreSQL admin URL (e.g. postgres://postgres@127.0.0.1:5432/postgres): each
                        started cluster gets a fresh database there, dropped after (default SQLite)
  --replicas <n>        with --postgres: after each scenario's rounds, run it again with n token-service
                        replicas on the same database, the connections dealt round robin over them, and
                        report req/s for 1 and n (default 1: no such run; not for cc-opaque-renew-1m
                        nor cc-jwt-es256-dpop)
  --token-workers <n>   with --postgres: every started cluster's token service runs TOKEN_WORKERS=n
                        processes on its ports (docs/operations.md, "Serving from several cores")
  --out <file>          report file (default docs/benchmarks.md, with --postgres docs/benchmarks-postgres.md;
                        the SVG goes beside it)
  --no-write            print the table only, write no report
  --help                this text

With external URLs the cluster's own env applies (TOKEN_RENEW_PER_REQUEST, JWT_ALG,
EVENTS_PER_MESSAGE), so scenarios that need another env measure whatever that cluster does.

cc-opaque-renew-private-key-jwt is cc-opaque-renew by a key that authenticates with private_key_jwt:
the benchmark signs a fresh ES256 assertion for every request (its signing is on the machine CPU too);
no peer, judged on no target.

cc-jwt-es256-dpop is cc-jwt-es256 with a fresh ES256 DPoP proof (RFC 9449) on every request, signed by
the benchmark (on the machine CPU too): each token is bound to the benchmark's key; no peer, judged on
no target.

cc-opaque-renew-unpacked is cc-opaque-renew with EVENTS_PER_MESSAGE=1 (one token event per NATS
message instead of the default packs of up to 100): shown beside cc-opaque-renew, and judged on
no target.

cc-opaque-renew-1m writes 1,000,000 tokens straight into the token store of a cluster of its
own before its warm-up (about a minute on SQLite), so it runs only on clusters the benchmark starts;
it is compared with the same workload on a second cluster of the same env whose store stays empty,
the two taking turns like keymint and the peer, and the token service's RSS is read after it.`;

const VALUE_FLAGS = new Set([
  '--duration',
  '--warmup',
  '--connections',
  '--rounds',
  '--scenarios',
  '--token-url',
  '--registry-url',
  '--analytics-url',
  '--admin',
  '--postgres',
  '--replicas',
  '--token-workers',
  '--out',
]);

export function parseArguments(argv: readonly string[]): BenchOptions {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const equals = argument.indexOf('=');
    const flag = argument.startsWith('--') && equals > 0 ? argument.slice(0, equals) : argument;
    if (VALUE_FLAGS.has(flag)) {
      const value = equals > 0 && argument.startsWith('--') ? argument.slice(equals + 1) : argv[++index];
      if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
      if (values.has(flag)) throw new UsageError(`${flag} given twice`);
      values.set(flag, value);
    } else if (argument === '--help' || argument === '-h' || argument === '--no-write') {
      switches.add(argument === '-h' ? '--help' : argument);
    } else {
      throw new UsageError(`unknown argument '${argument}'`);
    }
  }

  const tokenUrl = values.get('--token-url');
  const registryUrl = values.get('--registry-url');
  const analyticsUrl = values.get('--analytics-url');
  const admin = values.get('--admin');
  let external: BenchOptions['external'];
  if (tokenUrl !== undefined || registryUrl !== undefined || analyticsUrl !== undefined || admin !== undefined) {
    if (tokenUrl === undefined || registryUrl === undefined || admin === undefined) {
      throw new UsageError('--token-url, --registry-url and --admin go together (--analytics-url is optional)');
    }
    const colon = admin.indexOf(':');
    if (colon <= 0 || colon === admin.length - 1) throw new UsageError('--admin must be user:password');
    external = {
      tokenUrl: baseUrl('--token-url', tokenUrl),
      registryUrl: baseUrl('--registry-url', registryUrl),
      analyticsUrl: analyticsUrl === undefined ? undefined : baseUrl('--analytics-url', analyticsUrl),
      admin: { username: admin.slice(0, colon), password: admin.slice(colon + 1) },
    };
  }
  const postgresUrl = values.get('--postgres');
  if (postgresUrl !== undefined) {
    if (external) throw new UsageError('--postgres applies to started clusters, not to --token-url');
    if (!/^postgres(ql)?:\/\//.test(postgresUrl)) throw new UsageError(`--postgres must be a postgres:// URL, got '${postgresUrl}'`);
  }
  const replicas = positiveInteger('--replicas', values.get('--replicas'), 1);
  // Replicas share one store: a SQLite file belongs to one process.
  if (replicas > 1 && postgresUrl === undefined) throw new UsageError('--replicas needs --postgres (token-service replicas share one PostgreSQL database)');

  const tokenWorkers = positiveInteger('--token-workers', values.get('--token-workers'), 1);
  if (tokenWorkers > 1 && postgresUrl === undefined) throw new UsageError('--token-workers needs --postgres (the token service refuses TOKEN_WORKERS > 1 on SQLite)');

  return {
    help: switches.has('--help'),
    durationSeconds: positiveInteger('--duration', values.get('--duration'), 10),
    warmupSeconds: positiveInteger('--warmup', values.get('--warmup'), 3, true),
    connections: positiveInteger('--connections', values.get('--connections'), 50),
    rounds: positiveInteger('--rounds', values.get('--rounds'), 2),
    scenarios: scenarioList(values.get('--scenarios')),
    external,
    postgresUrl,
    replicas,
    tokenWorkers,
    docsPath: switches.has('--no-write') ? null : (values.get('--out') ?? (postgresUrl ? 'docs/benchmarks-postgres.md' : 'docs/benchmarks.md')),
  };
}

function positiveInteger(flag: string, raw: string | undefined, fallback: number, zeroAllowed = false): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be a whole number, got '${raw}'`);
  const value = Number(raw);
  if (value === 0 && !zeroAllowed) throw new UsageError(`${flag} must be at least 1`);
  return value;
}

function scenarioList(raw: string | undefined): ScenarioId[] {
  const known = SCENARIOS.map((scenario) => scenario.id);
  if (raw === undefined) return known;
  const wanted = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  const unknown = wanted.filter((item) => !(known as string[]).includes(item));
  if (unknown.length > 0) throw new UsageError(`unknown scenario(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  if (wanted.length === 0) throw new UsageError('--scenarios names no scenario');
  // Table order, not the order typed, so runs stay comparable.
  return known.filter((id) => wanted.includes(id));
}

function baseUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} is not a URL: '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be http(s)`);
  return url.toString().replace(/\/+$/, '');
}
