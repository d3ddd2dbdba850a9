/**
 * Every environment variable keymint reads, one schema per service. This is the
 * only place that touches `process.env`; the launcher, the docs and the
 * docker-compose test all read these schemas so they cannot drift.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
/** 100 years of seconds. */
const MAX_TOKEN_VALIDITY_LIMIT = 3_155_760_000;
const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** Seconds something is kept: 0 keeps it forever, else at least `minimum`; an empty value is the default. */
const retention = (fallback: number, minimum = 1) =>
  z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.coerce
      .number()
      .int()
      .refine((value) => value === 0 || value >= minimum, `must be 0 (keep everything) or at least ${minimum} seconds`)
      .default(fallback),
  );
/** Seconds something may last at most: 0 sets no limit; an empty value is the default. */
const limit = (fallback: number) =>
  z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int().nonnegative('must be 0 (no limit) or a number of seconds').default(fallback));
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Names of address ranges Fastify's proxy trust understands besides addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Which proxies may say who the client is in `X-Forwarded-For`: off (the default: the client is the TCP peer),
 * or a comma-separated list of proxy addresses, CIDRs and the names loopback, linklocal, uniquelocal. The client
 * is the last address in the header that is not a trusted proxy. Neither "trust everything" nor a hop count is
 * offered: whoever reaches the service directly could then pose as any address.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((value, context): false | string[] => {
    const text = value.trim();
    if (text === '' || text === 'false') return false;
    const entries = text.split(',').map((entry) => entry.trim());
    const bad = entries.filter((entry) => !PROXY_RANGE_NAMES.includes(entry) && !isProxyAddress(entry));
    if (bad.length === 0) return entries;
    context.addIssue({
      code: 'custom',
      message: `must be false or a comma-separated list of proxy addresses, CIDRs, loopback, linklocal or uniquelocal (not understood: ${bad.join(', ')})`,
    });
    return z.NEVER;
  });

/** An IPv4 address in its usual four-part form or an IPv6 address, optionally with a /prefix length. */
function isProxyAddress(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const wellFormed = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  return wellFormed && rest.length === 0 && (prefix === undefined || ipaddr.isValidCIDR(entry));
}

/** Shared by every service. */
export const commonEnvShape = {
  DATA_DIR: z.string().min(1).default('./data'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  /**
   * How the service authenticates to NATS (docs/security.md): one of a .creds file (user JWT + NKEY seed), a file
   * holding an NKEY seed (what `npm start` generates), or a user and password. TLS: a CA file, and optionally a
   * client certificate and key.
   */
  NATS_CREDS: optionalText,
  NATS_NKEY_SEED_FILE: optionalText,
  NATS_USER: optionalText,
  NATS_PASSWORD: optionalText,
  NATS_TLS_CA: optionalText,
  NATS_TLS_CERT: optionalText,
  NATS_TLS_KEY: optionalText,
  /** postgres://… for the scale-out store; empty means SQLite under DATA_DIR. */
  DB_URL: optionalText.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// URL (leave it unset for SQLite)',
  }),
  /** Address of the HTTPS listener. */
  BIND_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * Address of the plain-HTTP listener: loopback, so passwords, secrets and tokens in clear text never leave the
   * machine (curl http://localhost:… still works). 0.0.0.0 exposes it (docs/operations.md, "Where plain HTTP listens").
   */
  HTTP_BIND_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_ENABLED: boolean(true),
  TLS_CERT: optionalText,
  TLS_KEY: optionalText,
  TRUST_PROXY: trustProxy,
  /** Failed sign-ins per minute per (consumer key or user, client address) before 429 (docs/security.md). */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(10),
  /**
   * Seconds between a SIGTERM and the listeners closing, while /health/ready already answers 503: time for a load
   * balancer to stop sending requests (docs/operations.md, "Probes"). 0: close at once.
   */
  SHUTDOWN_DELAY: z.coerce.number().int().min(0).max(300).default(0),
  /**
   * The bearer token Prometheus sends for GET /metrics on the HTTPS port (at least 32 characters). Unset: /metrics
   * answers on the plain-HTTP port only (loopback by default), never on HTTPS: the counters by failure reason would
   * tell anyone which consumer keys exist (docs/operations.md, "Who may read /metrics").
   */
  METRICS_TOKEN: z.string().min(32).optional(),
  /** pino's level names; Nest's `log` and `verbose`, this variable's values before, still mean `info` and `trace`. */
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'log', 'verbose'])
    .default('info')
    .transform((level) => (level === 'log' ? 'info' : level === 'verbose' ? 'trace' : level)),
  /** `json` or `pretty` (one readable line); unset: pretty on a terminal, JSON anywhere else. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /**
   * Where traces go (OpenTelemetry, OTLP over HTTP): set, every service exports its spans there
   * (`<endpoint>/v1/traces`); unset, tracing is off. The exporter reads the other OTEL_* variables itself.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.refine((value) => value === undefined || /^https?:\/\//.test(value), {
    message: 'must be an http:// or https:// URL (leave it unset to turn tracing off)',
  }),
  RPC_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(3000),
  /** JetStream replicas of the TOKENS and REGISTRY streams: 1 on one server, 3 on a three-node cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /**
   * Seconds the TOKENS stream keeps a message (its max_age); its consumers forget the eventIds they applied longer
   * ago. Without it both grow by a row per token forever. 0: keep everything. Every service sets the stream to it.
   */
  TOKEN_EVENT_RETENTION: retention(7 * 24 * 3600, 3600),
};

export const tokenServiceEnvShape = {
  ...commonEnvShape,
  TOKEN_SERVICE_HTTPS_PORT: port(8243),
  TOKEN_SERVICE_HTTP_PORT: port(8280),
  ISSUER: z.string().url().default('https://localhost:8243/oauth2/token'),
  JWT_ALG: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
  /** Signing keys are rotated after this many seconds; old keys stay in the JWKS until their tokens expire. */
  JWT_KEY_ROTATION: seconds(30 * 24 * 3600),
  /**
   * At most 100 years: every token's expiry must be a time its event can carry (an ISO 8601 date of four-digit
   * year), or issuing it would fail.
   */
  MAX_TOKEN_VALIDITY: z.coerce.number().int().positive().max(MAX_TOKEN_VALIDITY_LIMIT, 'must be at most 3155760000 seconds (100 years)').default(31536000),
  REFRESH_TOKEN_VALIDITY: seconds(86400),
  /**
   * Seconds a refresh-token family lives at most, from its password grant: rotation never takes a refresh token
   * past it (docs/token-api.md, "Lifetimes"). 30 days: a user who opens an app every day signs in again once a
   * month, and a stolen refresh token lasts no longer. 0: no limit (each rotation gives REFRESH_TOKEN_VALIDITY again).
   */
  REFRESH_TOKEN_MAX_LIFETIME: limit(30 * 24 * 3600),
  TOKEN_RENEW_PER_REQUEST: boolean(false),
  /**
   * Up to this many token events of one subject, written by one group commit, travel in one NATS message as a
   * JSON array, each with its own eventId (measured +38% in renew mode, docs/performance.md). 1 is one
   * event object per message, for consumers that read nothing else.
   */
  EVENTS_PER_MESSAGE: z.coerce.number().int().min(1).max(1000).default(100),
  /**
   * Seconds a token row is kept after its token expired; then it is deleted (TokenPurger). 0: kept forever.
   * An expired token introspects inactive and refreshes to invalid_grant whether or not its row is still there.
   */
  EXPIRED_TOKEN_RETENTION: retention(86400),
  /** 32 bytes as 64 hex characters or base64; generated once into DATA_DIR when unset. */
  TOKEN_ENCRYPTION_KEY: optionalText,
  /** How long a known client stays cached before it is asked for again (it is also refreshed by events). */
  CLIENT_CACHE_TTL: seconds(300),
  /** How often the consumer secrets' last use is reported to the registry (their lastUsedAt), in one batch. */
  SECRET_USE_REPORT_INTERVAL: seconds(60),
  /**
   * A PEM file of the certificate authorities whose client certificates tls_client_auth accepts (RFC 8705 §2.1):
   * the CAs that issue them directly, intermediates included. Unset: no certificate passes tls_client_auth.
   */
  MTLS_TRUSTED_CA: optionalText,
  /**
   * The header a TLS-terminating proxy puts the client's certificate in (URL-encoded PEM, as nginx's
   * $ssl_client_escaped_cert, or base64 DER), read only from a proxy TRUST_PROXY names. Unset: the certificate
   * comes from the TLS connection only.
   */
  MTLS_CLIENT_CERT_HEADER: optionalText
    .refine((value) => value === undefined || /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value), 'must be an HTTP header name')
    .transform((value) => value?.toLowerCase()),
  /**
   * RFC 9449 §8: every DPoP proof at the token endpoint must carry a nonce this service gave (`DPoP-Nonce`), so
   * that a proof cannot be made ahead of time. The nonce is an HMAC of the current minute under a key derived from
   * the token encryption key, which every replica has: valid on all of them, nothing stored (docs/token-api.md, "DPoP").
   */
  DPOP_NONCE_REQUIRED: boolean(false),
  /**
   * Processes serving the token service's routes on its ports, each a whole token service (docs/operations.md,
   * "Serving from several cores"): 1 is one process, as before. More needs PostgreSQL (DB_URL), where the
   * processes share their single-use JWT ids, failure counts and reuse slots as replicas do.
   */
  TOKEN_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * With TOKEN_WORKERS above 1: seconds a worker may take from its start until it is prepared (the first one
   * applies the migrations); one that is not is stopped, and the service with it at its start (exit 1).
   */
  TOKEN_WORKER_START_TIMEOUT: seconds(180),
};

export const applicationRegistryEnvShape = {
  ...commonEnvShape,
  REGISTRY_HTTPS_PORT: port(9443),
  REGISTRY_HTTP_PORT: port(9763),
  ADMIN_USERNAME: z.string().min(1).default('admin'),
  /** Without it the first start generates a password, prints it once and stores it in DATA_DIR/admin-credentials. */
  ADMIN_PASSWORD: optionalText,
};

export const analyticsEnvShape = {
  ...commonEnvShape,
  ANALYTICS_HTTPS_PORT: port(9643),
  ANALYTICS_HTTP_PORT: port(9663),
};

export const serviceEnvShapes = {
  'token-service': tokenServiceEnvShape,
  'application-registry': applicationRegistryEnvShape,
  analytics: analyticsEnvShape,
} as const;

export type ServiceName = keyof typeof serviceEnvShapes;
export const SERVICE_NAMES = Object.keys(serviceEnvShapes) as ServiceName[];

/** The variables that set each service's HTTPS and plain-HTTP ports (the launcher sets them; a port taken names its variable). */
export const SERVICE_PORT_VARIABLES = {
  'token-service': { https: 'TOKEN_SERVICE_HTTPS_PORT', http: 'TOKEN_SERVICE_HTTP_PORT' },
  'application-registry': { https: 'REGISTRY_HTTPS_PORT', http: 'REGISTRY_HTTP_PORT' },
  analytics: { https: 'ANALYTICS_HTTPS_PORT', http: 'ANALYTICS_HTTP_PORT' },
} as const satisfies { [Name in ServiceName]: Record<'https' | 'http', keyof ServiceConfig<Name>> };

/** A service's validated configuration. */
export type ServiceConfig<Name extends ServiceName> = z.infer<z.ZodObject<(typeof serviceEnvShapes)[Name]>>;
export type TokenServiceConfig = z.infer<z.ZodObject<typeof tokenServiceEnvShape>>;
export type ApplicationRegistryConfig = z.infer<z.ZodObject<typeof applicationRegistryEnvShape>>;
export type AnalyticsConfig = z.infer<z.ZodObject<typeof analyticsEnvShape>>;
export type CommonConfig = z.infer<z.ZodObject<typeof commonEnvShape>>;

export class ConfigError extends Error {}

/** Validates the environment against a schema; the error names every bad variable. */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}=${shownValue(name, env[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/**
 * Variables whose whole value is a secret: a start-up error names them but never shows their value (the error
 * goes to the log, where it would outlive the fix).
 */
const SECRET_VARIABLES = new Set(['ADMIN_PASSWORD', 'METRICS_TOKEN', 'NATS_PASSWORD', 'TOKEN_ENCRYPTION_KEY', 'TLS_KEY', 'NATS_TLS_KEY', 'NATS_CREDS', 'NATS_NKEY_SEED_FILE']);

/** A bad value as a start-up error shows it: quoted, a secret variable's hidden, and any URL's credentials masked. */
function shownValue(name: string, value: string): string {
  if (SECRET_VARIABLES.has(name)) return value === '' ? '""' : `(hidden, ${value.length} characters)`;
  return JSON.stringify(withoutUrlCredentials(value));
}

/**
 * A URL, or a comma-separated list of them (NATS_URL), safe for logs and errors: a user and password (or token)
 * masked (`nats://***@host`). An entry that could hold a credential the URL parser cannot find (an unencoded `/`
 * in a password, a key=value connection string with `password=`, anything else with an `@`) is hidden whole.
 */
export function withoutUrlCredentials(text: string): string {
  return text
    .split(',')
    .map((entry) => {
      let url: URL | undefined;
      try {
        url = new URL(entry.trim());
      } catch {
        url = undefined;
      }
      if (url && (url.username || url.password)) return `${url.protocol}//***@${url.host}${url.pathname === '/' ? '' : url.pathname}`;
      if (entry.includes('@') || /password|passwd|secret|token/i.test(entry)) return `(hidden, ${entry.length} characters)`;
      return entry;
    })
    .join(',');
}

/** The process environment, for the few places (launcher, tests) that pass it on to children. */
export function processEnv(): NodeJS.ProcessEnv {
  return process.env;
}

/** Injection token for a service's validated configuration. */
export const CONFIG = Symbol('CONFIG');

/** What `npm start` (the launcher) reads itself; everything else is passed on to the services. */
export const launcherEnvShape = {
  DATA_DIR: commonEnvShape.DATA_DIR,
  /** When set, the launcher uses this NATS instead of starting its own. */
  NATS_URL: optionalText,
  /** Port of the embedded nats-server; a free one is used when it is taken. */
  NATS_PORT: port(4222),
  NATS_SERVER_BIN: optionalText,
  ADMIN_PASSWORD: optionalText,
  /** The launcher's own lines: `[keymint] …` text on a terminal, JSON lines like the services' elsewhere. */
  LOG_FORMAT: commonEnvShape.LOG_FORMAT,
};
export type LauncherConfig = z.infer<z.ZodObject<typeof launcherEnvShape>>;
