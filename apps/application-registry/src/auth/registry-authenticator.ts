import { hash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { errorBody, HttpErrorWithHeaders, Authenticator, Principal, tooManySignIns } from '@keymint/http-kit';
import { RpcClient, RpcError } from '@keymint/messaging';
import { logFieldsOf, RequestContext } from '@keymint/telemetry';
import { KeysService } from '../keys/keys.service';
import { UserSignIn } from '../users/user-sign-in';
import { UsersService } from '../users/users.service';

/** How long an active introspection result is trusted (never past the token's own expiry). */
const BEARER_CACHE_MS = 10_000;
const BEARER_CACHE_MAX = 10_000;

/**
 * Basic: the registry's own users (cached successful checks, see UsersService; failures limited, see UserSignIn).
 * Bearer: the token service's introspection over NATS; the caller is the token's
 * user (or, for client credentials, the application's owner) with that local
 * user's roles, if any.
 */
@Injectable()
export class RegistryAuthenticator implements Authenticator {
  private readonly logger = new Logger('RegistryAuthenticator');
  private readonly bearerCache = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(UserSignIn) private readonly signIns: UserSignIn,
    @Inject(KeysService) private readonly keys: KeysService,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {}

  async basic(username: string, password: string, clientAddress: string): Promise<Principal | null> {
    const result = await this.signIns.signIn(username, password, clientAddress);
    if (result.outcome === 'refused') throw tooManySignIns(result.retryAfterSeconds);
    return result.outcome === 'signed-in' ? { username: result.user.username, roles: result.user.roles, scopes: [], via: 'basic' } : null;
  }

  async bearer(token: string, origin?: RequestContext): Promise<Principal | null> {
    if (token.length > 8192) return null;
    const id = hash('sha256', token, 'hex');
    const cached = this.bearerCache.get(id);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    this.bearerCache.delete(id);

    let introspection;
    try {
      introspection = await this.rpc.request('tokens.rpc.introspect.v1', { token }, origin);
    } catch (error) {
      if (error instanceof RpcError && (error.code === 'timeout' || error.code === 'unavailable')) {
        throw new HttpErrorWithHeaders(errorBody('wso2', 503, 'Bearer tokens cannot be checked right now (token service unreachable); use Basic auth or retry.'), 503, {});
      }
      this.logger.warn({ msg: `introspection failed: ${error instanceof RpcError ? error.code : 'unexpected error'}`, ...logFieldsOf(origin) });
      return null;
    }
    if (!introspection.active) return null;
    // A client-credentials token acts for the owner of its application (as in WSO2), not for a user named like the consumer key.
    const username = introspection.username ?? (await this.keys.clientRecord(introspection.client_id))?.owner ?? introspection.sub;
    const principal: Principal = {
      username,
      roles: await this.users.rolesOf(username),
      scopes: introspection.scope.split(' ').filter((scope) => scope.length > 0),
      via: 'bearer',
    };
    const expiresAt = Math.min(Date.now() + BEARER_CACHE_MS, introspection.exp * 1000);
    if (this.bearerCache.size >= BEARER_CACHE_MAX) this.bearerCache.delete(this.bearerCache.keys().next().value as string);
    this.bearerCache.set(id, { principal, expiresAt });
    return principal;
  }
}
