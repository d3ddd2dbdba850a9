/**
 * Response bodies of the analytics REST API (`/api/analytics/v1`,
 * docs/analytics.md): what the service answers and what its clients (the
 * `keymint` CLI) read. Times are UTC ISO 8601 strings.
 */
import { GrantType, TOKEN_ENDPOINT_AUTH_METHODS } from './events';

export type GrantCounts = Record<GrantType, number>;

/**
 * What tokens are counted under by client authentication: each method, and `unknown` for the events of token
 * services from before the issued event said how the client authenticated.
 */
export const COUNTED_CLIENT_AUTH_METHODS = [...TOKEN_ENDPOINT_AUTH_METHODS, 'unknown'] as const;
export type CountedClientAuthMethod = (typeof COUNTED_CLIENT_AUTH_METHODS)[number];
export type ClientAuthMethodCounts = Record<CountedClientAuthMethod, { minted: number; served: number }>;

/** What a token is bound to, as analytics counts it: nothing (`bearer`), a DPoP key (`dpop`, cnf.jkt) or a client certificate (`mtls`, cnf["x5t#S256"]). */
export const TOKEN_BINDINGS = ['bearer', 'dpop', 'mtls'] as const;
export type TokenBinding = (typeof TOKEN_BINDINGS)[number];
export type TokenBindingCounts = Record<TokenBinding, { minted: number; served: number }>;

export interface Summary {
  from: string;
  to: string;
  minted: GrantCounts;
  served: GrantCounts;
  reused: number;
  /** Tokens by how their clients authenticated. */
  clientAuthMethods: ClientAuthMethodCounts;
  /** Tokens by what they are bound to. */
  tokenBindings: TokenBindingCounts;
  registeredUsers: number;
  applications: number;
}

export const GRANULARITIES = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface IssuancePoint {
  time: string;
  grantType: GrantType;
  minted: number;
  served: number;
}

export interface IssuanceSeries {
  from: string;
  to: string;
  granularity: Granularity;
  count: number;
  list: IssuancePoint[];
}

export interface RegisteredUsersRow {
  applicationId: string;
  /** null until the registry has announced the application. */
  applicationName: string | null;
  owner: string | null;
  registeredUsers: number;
}

export interface ApplicationUserRow {
  username: string;
  tokenCount: number;
  firstSeen: string;
  lastSeen: string;
}

export interface TopUsersRow {
  applicationId: string;
  applicationName: string | null;
  users: Array<{ username: string; tokenCount: number }>;
}

export interface ListOf<T> {
  count: number;
  list: T[];
}
