/** The benchmark's scenarios: what keymint is asked, under which env, against which peer format. */
export type PeerFormat = 'opaque' | 'RS256' | 'ES256';
export type ScenarioId = 'cc-opaque-renew' | 'cc-opaque-renew-unpacked' | 'cc-opaque-renew-private-key-jwt' | 'cc-opaque-reuse' | 'cc-jwt-rs256' | 'cc-jwt-es256' | 'cc-jwt-es256-dpop' | 'password' | 'introspection' | 'cc-opaque-renew-1m';

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Which endpoint is loaded on keymint. */
  endpoint: 'token' | 'introspect';
  grantType?: 'client_credentials' | 'password';
  /** Application tokenType used on keymint (docs/token-api.md, "Token formats"). */
  tokenType: 'OAUTH' | 'JWT';
  /** Env of the keymint cluster this scenario needs (clusters are shared by scenarios with equal env). */
  env: Record<string, string>;
  /** null: no peer equivalent (the table shows '-'). */
  peer: { format: PeerFormat; endpoint: 'token' | 'introspect' } | null;
  /** Whether each 200 is a token that analytics must count. */
  countsTokens: boolean;
  /** How the client authenticates (default: client_secret_basic). */
  clientAuthentication?: 'private_key_jwt';
  /** Every request carries a fresh DPoP proof (RFC 9449), so each token is bound to the load generator's key. */
  dpop?: true;
  /** Tokens written into the token store before the warm-up (the "flat with size" target); such a scenario gets a cluster of its own. */
  storedTokens?: number;
}

const NEW_OPAQUE_TOKEN_PER_REQUEST: Scenario = {
  id: 'cc-opaque-renew',
  title: 'client_credentials, new opaque token per request',
  endpoint: 'token',
  grantType: 'client_credentials',
  tokenType: 'OAUTH',
  env: { TOKEN_RENEW_PER_REQUEST: 'true' },
  peer: { format: 'opaque', endpoint: 'token' },
  countsTokens: true,
};

const ES256_JWT: Scenario = {
  id: 'cc-jwt-es256',
  title: 'client_credentials, ES256 JWT',
  endpoint: 'token',
  grantType: 'client_credentials',
  tokenType: 'JWT',
  env: { JWT_ALG: 'ES256' },
  peer: { format: 'ES256', endpoint: 'token' },
  countsTokens: true,
};

export const SCENARIOS: readonly Scenario[] = [
  NEW_OPAQUE_TOKEN_PER_REQUEST,
  {
    // The same workload with one token event per NATS message instead of the default packs (docs/token-api.md).
    ...NEW_OPAQUE_TOKEN_PER_REQUEST,
    id: 'cc-opaque-renew-unpacked',
    title: 'client_credentials, new opaque token per request, EVENTS_PER_MESSAGE=1',
    env: { ...NEW_OPAQUE_TOKEN_PER_REQUEST.env, EVENTS_PER_MESSAGE: '1' },
  },
  {
    // The same workload, the client proving itself with an ES256 assertion (signed by the load generator for each request).
    ...NEW_OPAQUE_TOKEN_PER_REQUEST,
    id: 'cc-opaque-renew-private-key-jwt',
    title: 'client_credentials, new opaque token per request, private_key_jwt (ES256 assertion per request)',
    clientAuthentication: 'private_key_jwt',
    peer: null,
  },
  {
    id: 'cc-opaque-reuse',
    title: 'client_credentials, opaque with WSO2 token reuse',
    endpoint: 'token',
    grantType: 'client_credentials',
    tokenType: 'OAUTH',
    env: {},
    peer: { format: 'opaque', endpoint: 'token' },
    countsTokens: true,
  },
  {
    id: 'cc-jwt-rs256',
    title: 'client_credentials, RS256 JWT',
    endpoint: 'token',
    grantType: 'client_credentials',
    tokenType: 'JWT',
    env: { JWT_ALG: 'RS256' },
    peer: { format: 'RS256', endpoint: 'token' },
    countsTokens: true,
  },
  ES256_JWT,
  {
    // The same workload, each request proving a DPoP key (a fresh ES256 proof signed by the load generator): what binding costs.
    ...ES256_JWT,
    id: 'cc-jwt-es256-dpop',
    title: 'client_credentials, ES256 JWT bound with DPoP (ES256 proof per request)',
    dpop: true,
    peer: null,
  },
  {
    id: 'password',
    title: 'password grant, opaque token',
    endpoint: 'token',
    grantType: 'password',
    tokenType: 'OAUTH',
    env: {},
    peer: null,
    countsTokens: true,
  },
  {
    id: 'introspection',
    title: 'introspection of an opaque token',
    endpoint: 'introspect',
    tokenType: 'OAUTH',
    env: {},
    peer: { format: 'opaque', endpoint: 'introspect' },
    countsTokens: false,
  },
  {
    // The same workload on a full store, compared with a cluster of the same env whose store stays empty, not with the peer.
    ...NEW_OPAQUE_TOKEN_PER_REQUEST,
    id: 'cc-opaque-renew-1m',
    title: 'client_credentials, new opaque token per request, 1,000,000 tokens already stored',
    peer: null,
    storedTokens: 1_000_000,
  },
];

/** A stable key for a cluster env: scenarios with equal keys run on one cluster (JWT_ALG defaults to RS256). */
export function clusterKey(env: Record<string, string>): string {
  const effective: Record<string, string> = { JWT_ALG: 'RS256', TOKEN_RENEW_PER_REQUEST: 'false', ...env };
  return Object.keys(effective)
    .sort()
    .map((name) => `${name}=${effective[name]}`)
    .join(' ');
}

/** The cluster a scenario runs on: its env, and a store of its own when it preloads tokens. */
export function scenarioClusterKey(scenario: Scenario): string {
  const key = clusterKey(scenario.env);
  return scenario.storedTokens ? `${key}, ${scenario.storedTokens.toLocaleString('en-US')} tokens stored` : key;
}

/**
 * Execution order: scenarios grouped by cluster (first appearance wins), so each
 * cluster is started once; the table keeps the order of SCENARIOS.
 */
export function executionGroups(scenarios: readonly Scenario[]): Scenario[][] {
  const groups = new Map<string, Scenario[]>();
  for (const scenario of scenarios) {
    const key = scenarioClusterKey(scenario);
    const group = groups.get(key) ?? [];
    group.push(scenario);
    groups.set(key, group);
  }
  return [...groups.values()];
}
