import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { IntrospectResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { countRateLimited } from '@keymint/http-kit';
import { RpcClient, RpcError } from '@keymint/messaging';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { OAuth2HttpRequest, OpenedRequest, openRequest } from '../client-authentication/oauth2-request';
import { introspections } from '../metrics/token-metrics';
import { JwtSigner } from '../minting/jwt-signer';
import { IntrospectionRequestSchema } from '../oauth2/http-schemas';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { readParameters } from '../oauth2/request-parameters';
import { TokenStore } from '../token-storage/token-store';
import { audienceOf, confirmationOf, tokenTypeOf } from '../token-storage/token.entity';

const INACTIVE: IntrospectResponse = { active: false };

/** Who may introspect: a client (its own tokens only) or an admin (every token). */
type Introspector = { kind: 'client'; consumerKey: string } | { kind: 'admin' };

/** RFC 7662. JWTs are checked by signature and looked up in the store (so revocation counts). */
@Injectable()
export class IntrospectionService {
  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(TokenStore) private readonly store: TokenStore,
    @Inject(JwtSigner) private readonly signer: JwtSigner,
  ) {}

  async introspectRequest(request: OAuth2HttpRequest): Promise<IntrospectResponse> {
    const opened = openRequest(request);
    const caller = await this.authenticateCaller(opened);
    const { token } = readParameters(IntrospectionRequestSchema, opened.parameters);
    const found = await this.introspect(token);
    const result = found.active && caller.kind === 'client' && found.client_id !== caller.consumerKey ? INACTIVE : found;
    introspections.labels({ source: 'http', result: result.active ? 'active' : 'inactive' }).inc();
    return result;
  }

  /**
   * `accessOnly` (keymint's own APIs, through the RPC): only a bearer access token for the consumer key is
   * active; a refresh token, a bound token or one for resources (RFC 8707) answers inactive.
   */
  async introspect(token: string, { accessOnly = false } = {}): Promise<IntrospectResponse> {
    const row = await this.store.find(token);
    const now = Date.now();
    if (!row || row.revokedAt !== null || row.expiresAt <= now) return INACTIVE;
    if (accessOnly && row.kind !== 'access') return INACTIVE;
    // keymint's own APIs (the RPC's callers) take bearer tokens only: they check no DPoP proof or client certificate.
    if (accessOnly && (row.cnfJkt !== null || row.cnfX5t !== null)) return INACTIVE;
    // Nor tokens for resources (RFC 8707): their audience is those APIs, and keymint's own are none of them.
    if (accessOnly && row.audience !== null) return INACTIVE;
    if (row.kind === 'access' && row.tokenType === 'JWT' && !this.signer.verify(token)) return INACTIVE;
    return {
      active: true,
      scope: row.scopes,
      client_id: row.consumerKey,
      ...(row.username !== null ? { username: row.username } : {}),
      token_type: tokenTypeOf(row),
      exp: Math.floor(row.expiresAt / 1000),
      iat: Math.floor(row.issuedAt / 1000),
      nbf: Math.floor(row.issuedAt / 1000),
      sub: row.username ?? row.consumerKey,
      aud: audienceOf(row),
      iss: this.config.ISSUER,
      jti: row.id,
      ...confirmationOf(row),
    };
  }

  private async authenticateCaller({ credentials, address, origin }: OpenedRequest): Promise<Introspector> {
    // Basic credentials are a consumer key's, or else an admin's; the other methods are a client's only.
    if (credentials.method !== 'client_secret_basic' || (await this.authenticator.lookup(credentials.clientId, origin))) {
      const { client } = await this.authenticator.authenticate(credentials, address, 'introspect', origin);
      return { kind: 'client', consumerKey: client.consumerKey };
    }
    // Not a consumer key: an admin's Basic credentials (docs/token-api.md, "Introspection"), a user's
    // sign-in like any other, limited by the registry.
    const user = await this.rpc
      .request(RPC_SUBJECTS.authenticateUser, { username: credentials.clientId, password: credentials.clientSecret, clientAddress: address }, origin)
      .catch((error: unknown) => {
        if (error instanceof RpcError) throw OAuth2Error.temporarilyUnavailable();
        throw error;
      });
    if (user.authenticated && user.roles.includes('admin')) return { kind: 'admin' };
    if (!user.authenticated && user.retryAfterSeconds) {
      countRateLimited('introspect', 'user');
      throw OAuth2Error.tooManyRequests(user.retryAfterSeconds);
    }
    throw OAuth2Error.invalidClient();
  }
}
