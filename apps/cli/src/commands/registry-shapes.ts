/** The registry's answers as docs/registry.md defines them (only what the CLI reads). */
export interface Application {
  applicationId: string;
  name: string;
  throttlingPolicy: string;
  description?: string | null;
  tokenType: string;
  attributes?: Record<string, string>;
  owner: string;
  status?: string;
  keys?: ApplicationKey[];
  createdTime?: string;
  updatedTime?: string;
}

export interface ApplicationList {
  count: number;
  list: Application[];
  pagination?: { offset: number; limit: number; total: number };
}

export interface ApplicationKey {
  keyMappingId: string;
  consumerKey: string;
  consumerSecret?: string;
  supportedGrantTypes: string[];
  keyState?: string;
  keyType: string;
  scopes?: string[];
  validityTime?: number | string;
  callbackUrl?: string | null;
  /** RFC 8707 resources its tokens may be asked for. */
  resources?: string[];
}

export interface KeyList {
  count: number;
  list: ApplicationKey[];
}

export interface User {
  userId?: string;
  username: string;
  roles: string[];
}

export interface UserList {
  count: number;
  list: User[];
}

export interface Scope {
  name: string;
  description?: string | null;
  bindings: string[];
}

export interface ScopeList {
  count: number;
  list: Scope[];
}

export const DEVPORTAL = '/api/am/devportal/v2';
export const ADMIN = '/api/am/admin/v2';

/** A consumer secret as listed (never the secret). */
export interface ConsumerSecretInfo {
  secretId: string;
  description: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  status: string;
}

export interface ConsumerSecretList {
  count: number;
  list: ConsumerSecretInfo[];
}

/** generate-secret's answer: the only time the secret is shown. */
export interface GeneratedConsumerSecret {
  secretId: string;
  consumerSecret: string;
  description: string;
  createdAt: string;
  expiresAt: string | null;
}
