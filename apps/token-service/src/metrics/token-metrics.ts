import { GRANT_TYPES, GrantType, TOKEN_ENDPOINT_AUTH_METHODS, TOKEN_FORMATS, TokenFormat } from '@keymint/contracts';
import { CountedSeries, HotCounter } from '@keymint/http-kit';
import { Histogram } from 'prom-client';

/**
 * The token service's domain metrics (docs/operations.md, "Metrics"). Every label takes its values from a fixed
 * list: a consumer key, user name or token in a label would make a series per client (an unbounded number for
 * Prometheus to keep) and would hand them to whoever reads /metrics.
 */

/** The stored formats (OAUTH, JWT) as metric label values. */
const TOKEN_TYPE_LABEL = { OAUTH: 'opaque', JWT: 'jwt' } as const satisfies Record<TokenFormat, string>;
/** What an access token is bound to: nothing (bearer), a DPoP key, a client certificate, or both. */
export const TOKEN_BINDINGS = ['bearer', 'dpop', 'mtls', 'dpop_mtls'] as const;

export const tokensIssued = new HotCounter({
  name: 'keymint_tokens_issued_total',
  help: 'Access tokens handed out (POST /token and the registry\'s generate-token), by grant type, format, whether an earlier token was handed out again (WSO2 reuse) and what the token is bound to',
  labels: { grant_type: GRANT_TYPES, token_type: Object.values(TOKEN_TYPE_LABEL), reused: ['true', 'false'], binding: TOKEN_BINDINGS },
});

/** An access token as stored: what the labels of keymint_tokens_issued_total are read from. */
export interface IssuedAccessToken {
  grantType: GrantType;
  tokenType: TokenFormat;
  cnfJkt: string | null;
  cnfX5t: string | null;
}

type TokenBinding = (typeof TOKEN_BINDINGS)[number];
/**
 * Every series of keymint_tokens_issued_total, bound at start: [grant type][stored format][reused][binding]. Four
 * property reads per token instead of building the key of a label set (a few hundred ns measured).
 */
const ISSUED = {} as Record<GrantType, Record<TokenFormat, Record<'true' | 'false', Record<TokenBinding, CountedSeries>>>>;
for (const grantType of GRANT_TYPES) {
  ISSUED[grantType] = {} as (typeof ISSUED)[GrantType];
  for (const format of TOKEN_FORMATS) {
    ISSUED[grantType][format] = { true: {}, false: {} } as (typeof ISSUED)[GrantType][TokenFormat];
    for (const reused of ['true', 'false'] as const) {
      for (const binding of TOKEN_BINDINGS) {
        ISSUED[grantType][format][reused][binding] = tokensIssued.labels({ grant_type: grantType, token_type: TOKEN_TYPE_LABEL[format], reused, binding });
      }
    }
  }
}

export function countIssued(access: IssuedAccessToken, reused: boolean): void {
  ISSUED[access.grantType][access.tokenType][reused ? 'true' : 'false'][bindingOf(access)].inc();
}

const tokenRequestDuration = new Histogram({
  name: 'keymint_token_request_duration_seconds',
  help: 'Time from a POST /token request read to its token issued (client authentication, the grant, the write), by grant type; answers that issue a token only',
  labelNames: ['grant_type'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});
// Exposed from the start, like the counters. (A series taken with labels() is no cheaper in prom-client 15: it hashes the labels on each observe all the same.)
for (const grantType of GRANT_TYPES) tokenRequestDuration.zero({ grant_type: grantType });

/** A token request that issued a token, from `started` (process.hrtime.bigint()) until now. */
export function observeTokenRequest(grantType: GrantType, started: bigint): void {
  tokenRequestDuration.observe({ grant_type: grantType }, Number(process.hrtime.bigint() - started) / 1e9);
}

function bindingOf({ cnfJkt, cnfX5t }: IssuedAccessToken): TokenBinding {
  if (cnfJkt !== null) return cnfX5t !== null ? 'dpop_mtls' : 'dpop';
  return cnfX5t !== null ? 'mtls' : 'bearer';
}

/**
 * Why a client's credentials were refused (every refusal the consumer keys' failure limit counts):
 * - unknown_client: no such consumer key; inactive_client: the key is not ACTIVE (revoked);
 * - method_not_allowed: the key does not allow the method the request used;
 * - bad_secret: no secret of the key matches; expired_secret: it matches one that has expired;
 * - bad_assertion: a private_key_jwt assertion that does not verify; replayed_assertion: its jti was used before;
 * - bad_certificate: a client certificate the key's mutual-TLS method does not accept.
 */
export const CLIENT_AUTHENTICATION_FAILURE_REASONS = [
  'unknown_client',
  'inactive_client',
  'method_not_allowed',
  'bad_secret',
  'expired_secret',
  'bad_assertion',
  'replayed_assertion',
  'bad_certificate',
] as const;
export type ClientAuthenticationFailureReason = (typeof CLIENT_AUTHENTICATION_FAILURE_REASONS)[number];
/** The method a request authenticated with; `mutual_tls`: a certificate whose method (tls_client_auth or self-signed) was not decided. */
export const CLIENT_AUTHENTICATION_METHODS = [...TOKEN_ENDPOINT_AUTH_METHODS, 'mutual_tls'] as const;
export type ClientAuthenticationMethod = (typeof CLIENT_AUTHENTICATION_METHODS)[number];

export const clientAuthenticationFailures = new HotCounter({
  name: 'keymint_client_authentication_failures_total',
  help: 'Client credentials refused at the token, revocation and introspection endpoints, by reason and by authentication method',
  labels: { reason: CLIENT_AUTHENTICATION_FAILURE_REASONS, method: CLIENT_AUTHENTICATION_METHODS },
});

/**
 * hit: answered from memory; miss: the registry was asked (one question serves concurrent requests for a key);
 * stale: of the misses, those the registry did not answer, where the expired record was served. Hit ratio:
 * hit / (hit + miss).
 */
export const clientCacheLookups = new HotCounter({
  name: 'keymint_client_cache_lookups_total',
  help: 'Client records looked up in the token service\'s client cache: hit (from memory), miss (asked the registry), stale (of the misses: the registry did not answer and the expired record was served)',
  labels: { result: ['hit', 'miss', 'stale'] },
});

export const introspections = new HotCounter({
  name: 'keymint_introspections_total',
  help: 'Tokens introspected, by where the question came from (http: RFC 7662 POST /introspect; rpc: the registry and analytics checking a Bearer token) and by the answer',
  labels: { source: ['http', 'rpc'], result: ['active', 'inactive'] },
});

export const revocations = new HotCounter({
  name: 'keymint_revocations_total',
  help: 'RFC 7009 revocation requests of authenticated clients, by result (revoked, already_revoked, unknown_token, not_owner: the token is another client\'s)',
  labels: { result: ['revoked', 'already_revoked', 'unknown_token', 'not_owner'] },
});
