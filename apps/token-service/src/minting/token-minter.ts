import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientRecord, GrantType, TokenConfirmation, TokenEndpointAuthMethod } from '@keymint/contracts';
import { timeOrderedUuid } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { TokenResponse } from '../oauth2/http-schemas';
import { refreshExpiry } from '../oauth2/validity';
import { OutboxRow } from '@keymint/messaging';
import { issuedEvent } from '../token-storage/token-events';
import { audienceOf, TokenRecord, tokenTypeOf } from '../token-storage/token.entity';
import { JwtSigner } from './jwt-signer';
import { TokenCipher } from './token-cipher';
import { opaqueToken, tokenHash } from '../token-storage/token-hash';

/** What a grant asks for once it has decided who gets which scopes for how long. */
export interface TokenRequest {
  client: ClientRecord;
  /** How the client authenticated (the issued event says so). */
  clientAuthMethod: TokenEndpointAuthMethod;
  grantType: GrantType;
  /** The resource owner for user grants; absent for client_credentials. */
  username?: string;
  scopes: string[];
  lifetimeSeconds: number;
  /** A refresh token is added (password / refresh_token grants on keys that allow refresh_token). */
  refresh?: RefreshFamily;
  /** The resources (RFC 8707) granted: the access token's `aud` (a refresh token's: RefreshFamily.audience). Absent: the consumer key is. */
  audience?: string[];
  /** The key (DPoP) or certificate (mTLS) the access and refresh tokens are bound to. Absent: bearer tokens. */
  confirmation?: TokenConfirmation;
  /** The request the token is for: its id and trace go with the token's events. */
  origin?: RequestContext;
}

/** The refresh-token family a new refresh token belongs to. */
export interface RefreshFamily {
  familyId: string;
  /** When the family's password grant was issued; absent: it is being issued now. */
  issuedAt?: number;
  /** The user's roles at that grant (see TokenRecord.familyRoles). */
  roles: string[];
  /**
   * The resources (RFC 8707) the family is granted, which its refresh tokens carry even when a refresh
   * narrowed its access token's (TokenRequest.audience). Absent: none, the consumer key.
   */
  audience?: string[];
}

/** How a client-credentials grant files the token for reuse or renewal (token-endpoint/client-credentials). */
export interface ReuseFiling {
  reuseKey: string;
  /** Keep the token, encrypted, so that it can be handed out again (reuse); renewal keeps only the key. */
  keepToken: boolean;
}

/** A new token, not yet written: its rows, its tokens.issued.v1 event and the response. */
export interface MintedToken {
  access: TokenRecord;
  rows: TokenRecord[];
  events: OutboxRow[];
  response: TokenResponse;
}

/** Mints access tokens (opaque or JWT, with their claims) and refresh tokens; writes nothing. */
@Injectable()
export class TokenMinter {
  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(JwtSigner) private readonly signer: JwtSigner,
    @Inject(TokenCipher) private readonly cipher: TokenCipher,
  ) {}

  async mint(request: TokenRequest, filing?: ReuseFiling): Promise<MintedToken> {
    const issuedAt = Date.now();
    const expiresAt = issuedAt + request.lifetimeSeconds * 1000;
    const tokenId = timeOrderedUuid(issuedAt);
    const scope = request.scopes.join(' ');
    const accessToken = request.client.tokenType === 'OAUTH' ? opaqueToken(tokenId) : await this.signJwt(request, tokenId, issuedAt, expiresAt, scope);
    const access = tokenRow(request, tokenId, tokenHash(accessToken), 'access', issuedAt, expiresAt);
    access.reuseKey = filing?.reuseKey ?? null;
    access.encryptedToken = filing?.keepToken ? this.cipher.encrypt(accessToken, tokenId) : null;
    const rows = [access];
    const response: TokenResponse = { access_token: accessToken, scope, token_type: tokenTypeOf(access), expires_in: request.lifetimeSeconds };
    if (request.refresh) {
      const refreshTokenId = timeOrderedUuid(issuedAt);
      const refreshToken = opaqueToken(refreshTokenId);
      const familyIssuedAt = request.refresh.issuedAt ?? issuedAt;
      const refresh = tokenRow(request, refreshTokenId, tokenHash(refreshToken), 'refresh', issuedAt, refreshExpiry(issuedAt, familyIssuedAt, this.config));
      refresh.familyIssuedAt = familyIssuedAt;
      refresh.familyRoles = request.refresh.roles.join(' ');
      refresh.audience = request.refresh.audience?.join(' ') ?? null;
      rows.push(refresh);
      response.refresh_token = refreshToken;
    }
    return { access, rows, events: [issuedEvent(access, false, request.clientAuthMethod, request.origin)], response };
  }

  /** The access token a reusable row holds (encrypted at rest), or null when it holds none that checks out. */
  reveal(row: TokenRecord): string | null {
    if (!row.encryptedToken) return null;
    const accessToken = this.cipher.decrypt(row.encryptedToken, row.id);
    return accessToken && tokenHash(accessToken) === row.tokenHash ? accessToken : null;
  }

  private signJwt(request: TokenRequest, tokenId: string, issuedAt: number, expiresAt: number, scope: string): Promise<string> {
    const { client } = request;
    const iat = Math.floor(issuedAt / 1000);
    return this.signer.sign({
      iss: this.config.ISSUER,
      sub: request.username ?? client.consumerKey,
      aud: audienceOf({ audience: request.audience?.join(' ') ?? null, consumerKey: client.consumerKey }),
      azp: client.consumerKey,
      client_id: client.consumerKey,
      scope,
      iat,
      nbf: iat,
      exp: Math.floor(expiresAt / 1000),
      jti: tokenId,
      aut: request.username === undefined ? 'APPLICATION' : 'APPLICATION_USER',
      keytype: client.keyType,
      application: { id: client.applicationId, name: client.applicationName, owner: client.owner },
      ...(request.confirmation ? { cnf: request.confirmation } : {}),
    });
  }
}

/** A token row, written out field by field: object spreads were a measurable share of the token path. */
function tokenRow(request: TokenRequest, id: string, hash: string, kind: TokenRecord['kind'], issuedAt: number, expiresAt: number): TokenRecord {
  const { client } = request;
  const row = new TokenRecord();
  row.id = id;
  row.tokenHash = hash;
  row.kind = kind;
  row.consumerKey = client.consumerKey;
  row.applicationId = client.applicationId;
  row.keyType = client.keyType;
  row.username = request.username ?? null;
  row.scopes = request.scopes.join(' ');
  row.grantType = request.grantType;
  row.tokenType = client.tokenType;
  row.familyId = request.refresh?.familyId ?? null;
  row.issuedAt = issuedAt;
  row.expiresAt = expiresAt;
  row.familyIssuedAt = null;
  row.familyRoles = null;
  row.revokedAt = null;
  row.revokeReason = null;
  row.reuseKey = null;
  row.encryptedToken = null;
  row.audience = request.audience?.join(' ') ?? null;
  row.cnfJkt = request.confirmation?.jkt ?? null;
  row.cnfX5t = request.confirmation?.['x5t#S256'] ?? null;
  return row;
}
