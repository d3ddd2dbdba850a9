import { hash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { RPC_SUBJECTS } from '@keymint/contracts';
import { Authenticator, errorBody, HttpErrorWithHeaders, Principal, tooManySignIns } from '@keymint/http-kit';
import { RpcClient, RpcError } from '@keymint/messaging';
import { logFieldsOf, RequestContext } from '@keymint/telemetry';

/** The RPC calls the authenticator needs (narrow, so tests can fake it). */
export type AuthRpc = Pick<RpcClient, 'request'>;

export const BASIC_CACHE_TTL_MS = 30_000;
const MAX_CACHED = 10_000;

/** 503 when the peer that checks credentials cannot answer; never a 500 and never a false 401. */
function unavailable(): HttpErrorWithHeaders {
  return new HttpErrorWithHeaders(
    errorBody('wso2', 503, 'Credentials cannot be checked right now; try again shortly.'),
    503,
    { 'Retry-After': '5' },
  );
}

/**
 * Basic credentials are checked by the registry, Bearer tokens by the token
 * service. Successful Basic checks are cached briefly (keyed by a hash, so no
 * password is kept) because dashboards poll; failures are never cached.
 */
export class RpcAuthenticator implements Authenticator {
  private readonly logger = new Logger('RpcAuthenticator');
  private readonly basicCache = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly rpc: AuthRpc,
    private readonly now: () => number = Date.now,
  ) {}

  async basic(username: string, password: string, clientAddress: string, origin?: RequestContext): Promise<Principal | null> {
    const key = hash('sha256', `${username}:${password}`, 'hex');
    const cached = this.basicCache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    this.basicCache.delete(key);
    // The registry counts failures per user and address, for every service's sign-ins together.
    const result = await this.call(() => this.rpc.request(RPC_SUBJECTS.authenticateUser, { username, password, clientAddress }, origin), origin);
    if (result && !result.authenticated && result.retryAfterSeconds) throw tooManySignIns(result.retryAfterSeconds);
    if (!result || !result.authenticated) return null;
    const principal: Principal = { username: result.username, roles: result.roles, scopes: [], via: 'basic' };
    if (this.basicCache.size >= MAX_CACHED) this.basicCache.clear();
    this.basicCache.set(key, { principal, expiresAt: this.now() + BASIC_CACHE_TTL_MS });
    return principal;
  }

  async bearer(token: string, origin?: RequestContext): Promise<Principal | null> {
    const result = await this.call(() => this.rpc.request(RPC_SUBJECTS.introspect, { token }, origin), origin);
    if (!result || !result.active) return null;
    return {
      username: result.username ?? result.sub,
      roles: [],
      scopes: result.scope.split(' ').filter((scope) => scope.length > 0),
      via: 'bearer',
    };
  }

  /** An RPC answer, null when the peer rejects the request itself, 503 when it cannot be reached. */
  private async call<T>(request: () => Promise<T>, origin: RequestContext | undefined): Promise<T | null> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof RpcError && (error.code === 'invalid_request' || error.code === 'not_found')) return null;
      this.logger.warn({ msg: `credential check failed: ${(error as Error).message}`, ...logFieldsOf(origin) });
      throw unavailable();
    }
  }
}
