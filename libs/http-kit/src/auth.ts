import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RequestContext } from '@keymint/telemetry';
import type { FastifyRequest } from 'fastify';
import { errorBody, HttpErrorWithHeaders } from './errors';
import { countRateLimited } from './metrics';
import { requestContextOf } from './request-context';

/** Who is calling a REST API. */
export interface Principal {
  username: string;
  roles: string[];
  /** Scopes of the Bearer token; empty for Basic auth. */
  scopes: string[];
  via: 'basic' | 'bearer';
}

/**
 * How a service checks credentials (the registry locally, the others over RPC), for the request `origin` (the RPCs
 * that check them, and what is logged, carry it).
 */
export interface Authenticator {
  /** `clientAddress`: where the request came from (failed sign-ins are limited per user and address). */
  basic(username: string, password: string, clientAddress: string, origin?: RequestContext): Promise<Principal | null>;
  bearer(token: string, origin?: RequestContext): Promise<Principal | null>;
}
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');

/**
 * `devportal`: a subscriber or admin (Basic), or a token with `apim:subscribe`.
 * `admin`: an admin (Basic), or a token with `apim:admin`.
 */
export type AccessLevel = 'devportal' | 'admin';
const ACCESS_LEVEL = 'keymint:access-level';
export const RequireAccess = (level: AccessLevel) => SetMetadata(ACCESS_LEVEL, level);

export const WWW_AUTHENTICATE = 'Basic realm="keymint"';

export function unauthorized(description = 'Valid credentials are required: HTTP Basic or a Bearer token.'): HttpErrorWithHeaders {
  return new HttpErrorWithHeaders(errorBody('wso2', 401, description), 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

/** 429: too many failed sign-ins of this user from this address; the credentials were not checked. Counted (keymint_rate_limited_total). */
export function tooManySignIns(retryAfterSeconds: number): HttpErrorWithHeaders {
  countRateLimited('rest_api', 'user');
  const seconds = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return new HttpErrorWithHeaders(
    errorBody('wso2', 429, `Too many failed sign-ins from this address; try again in ${seconds} seconds.`),
    429,
    { 'Retry-After': seconds },
  );
}

export function forbidden(description = 'You are not allowed to do this.'): HttpErrorWithHeaders {
  return new HttpErrorWithHeaders(errorBody('wso2', 403, description), 403, {});
}

/** Parses `Authorization` (scheme case-insensitive); null when absent or malformed. */
export function parseAuthorization(
  header: string | undefined,
): { scheme: 'basic'; username: string; password: string } | { scheme: 'bearer'; token: string } | null {
  if (!header) return null;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return null;
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer') return { scheme, token: match[2] };
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(match[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { scheme, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function hasAccess(principal: Principal, level: AccessLevel): boolean {
  if (principal.via === 'bearer') {
    return level === 'admin' ? principal.scopes.includes('apim:admin') : principal.scopes.includes('apim:subscribe') || principal.scopes.includes('apim:admin');
  }
  return level === 'admin' ? principal.roles.includes('admin') : principal.roles.includes('admin') || principal.roles.includes('subscriber');
}

/** Applies `@RequireAccess` on a controller or handler: 401 without valid credentials, 403 without the right. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const level = this.reflector.getAllAndOverride<AccessLevel | undefined>(ACCESS_LEVEL, [context.getHandler(), context.getClass()]);
    if (!level) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const credentials = parseAuthorization(request.headers.authorization);
    if (!credentials) throw unauthorized();
    const principal =
      credentials.scheme === 'basic'
        ? await this.authenticator.basic(credentials.username, credentials.password, request.ip, requestContextOf(request))
        : await this.authenticator.bearer(credentials.token, requestContextOf(request));
    if (!principal) throw unauthorized('The credentials are not valid.');
    if (!hasAccess(principal, level)) throw forbidden();
    request.principal = principal;
    return true;
  }
}

/** The authenticated caller, set by AccessGuard. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
