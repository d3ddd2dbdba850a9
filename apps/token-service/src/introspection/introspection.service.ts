import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { IntrospectResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { RpcClient, RpcError } from '@keymint/messaging';
import { AuthFailureLimiter } from '../clients/auth-failure-limiter';
import { ClientAuthenticator, presentedCredentials } from '../clients/client-authenticator';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { parseParameters, rejectQueryCredentials } from '../oauth2/request-parameters';
import { OAuth2HttpRequest } from '../token-endpoint/token-endpoint.service';
import { TokenIssuer } from '../tokens/token-issuer';
import { TokenStore } from '../tokens/token-store';

const INACTIVE: IntrospectResponse = { active: false };

/** Who may introspect: a client (its own tokens only) or an admin (every token). */
type Introspector = { kind: 'client'; consumerKey: string } | { kind: 'admin' };

/** RFC 7662. JWTs are checked by signature and looked up in the store (so revocation counts). */
@Injectable()
export class IntrospectionService {
  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(AuthFailureLimiter) private readonly limiter: AuthFailureLimiter,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(TokenStore) private readonly store: TokenStore,
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
  ) {}

  async introspectRequest(request: OAuth2HttpRequest): Promise<IntrospectResponse> {
    const parameters = parseParameters(request.body);
    rejectQueryCredentials(request.query);
    const caller = await this.authenticateCaller(request, parameters);
    const token = parameters.token;
    if (!token) throw OAuth2Error.invalidRequest('token is required.');
    const result = await this.introspect(token);
    if (result.active && caller.kind === 'client' && result.client_id !== caller.consumerKey) return INACTIVE;
    return result;
  }

  async introspect(token: string): Promise<IntrospectResponse> {
    const row = await this.store.find(token);
    const now = Date.now();
    if (!row || row.revokedAt !== null || row.expiresAt <= now) return INACTIVE;
    if (row.kind === 'access' && row.tokenType === 'JWT' && !this.issuer.signer.verify(token)) return INACTIVE;
    return {
      active: true,
      scope: row.scopes,
      client_id: row.consumerKey,
      ...(row.username !== null ? { username: row.username } : {}),
      token_type: 'Bearer',
      exp: Math.floor(row.expiresAt / 1000),
      iat: Math.floor(row.issuedAt / 1000),
      nbf: Math.floor(row.issuedAt / 1000),
      sub: row.username ?? row.consumerKey,
      aud: row.consumerKey,
      iss: this.config.ISSUER,
      jti: row.id,
    };
  }

  private async authenticateCaller(request: OAuth2HttpRequest, parameters: Record<string, string>): Promise<Introspector> {
    const credentials = presentedCredentials(request.authorization, parameters);
    const client = credentials.method === 'basic' ? await this.authenticator.lookup(credentials.clientId) : 'client';
    if (client) {
      const authenticated = await this.authenticator.authenticate(credentials.clientId, credentials.clientSecret, request.address);
      return { kind: 'client', consumerKey: authenticated.consumerKey };
    }
    // Not a consumer key: an admin's Basic credentials (docs/token-api.md, "Introspection").
    const blockedFor = this.limiter.blockedFor('client', credentials.clientId, request.address);
    if (blockedFor > 0) throw OAuth2Error.tooManyRequests(blockedFor);
    const user = await this.rpc
      .request(RPC_SUBJECTS.authenticateUser, { username: credentials.clientId, password: credentials.clientSecret })
      .catch((error: unknown) => {
        if (error instanceof RpcError) throw OAuth2Error.temporarilyUnavailable();
        throw error;
      });
    if (user.authenticated && user.roles.includes('admin')) return { kind: 'admin' };
    this.limiter.recordFailure('client', credentials.clientId, request.address);
    throw OAuth2Error.invalidClient();
  }
}
