import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientRecord, GrantType } from '@keymint/contracts';
import { encodeEvent, OutboxEntry } from '@keymint/messaging';
import { Database, timeOrderedUuid } from '@keymint/persistence';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { JwtSigner } from './jwt-signer';
import { ReuseSlot } from './reuse-slot.entity';
import { TokenCipher } from './token-cipher';
import { TokenRecord } from './token.entity';
import { opaqueToken, tokenHash } from './token-hash';
import { TokenWrite, TokenWriter } from './token-writer';

/** What a grant asks for once it has decided who gets which scopes for how long. */
export interface TokenRequest {
  client: ClientRecord;
  grantType: GrantType;
  /** The resource owner for user grants; absent for client_credentials. */
  username?: string;
  scopes: string[];
  lifetimeSeconds: number;
  /** A refresh token is added (password / refresh_token grants on keys that allow refresh_token). */
  refresh?: { familyId: string };
}

/** The RFC 6749 §5.1 response body. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  scope: string;
  token_type: 'Bearer';
  expires_in: number;
}

interface ReusableToken {
  tokenId: string;
  accessToken: string;
  expiresAt: number;
  issuedAt: number;
  /** The secret the client had when it was issued: a regenerated secret ends reuse on every replica. */
  secretHash: string;
}

/** Another replica (or request) claimed the reuse slot first; the transaction is rolled back and retried. */
class LostReuseRace extends Error {
  constructor() {
    super('the reuse slot was claimed concurrently');
  }
}

// A token with 1 s or less left is not handed out again (docs/token-api.md, "Token reuse").
const REUSE_MARGIN_MS = 1000;

/**
 * Mints access (and refresh) tokens, writes them with their event through
 * group commit, and implements WSO2 token reuse for opaque client_credentials
 * tokens with single-flight per (key, scope set).
 */
@Injectable()
export class TokenIssuer {
  readonly signer: JwtSigner;
  private readonly cipher: TokenCipher;
  private readonly reusable = new Map<string, ReusableToken>();
  private readonly inFlight = new Map<string, Promise<TokenResponse>>();

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(Database) private readonly database: Database,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
  ) {
    this.signer = new JwtSigner({
      directory: join(config.DATA_DIR, 'jwt-keys'),
      algorithm: config.JWT_ALG,
      rotationSeconds: config.JWT_KEY_ROTATION,
      maxTokenValiditySeconds: config.MAX_TOKEN_VALIDITY,
    });
    this.cipher = TokenCipher.fromConfig(config.TOKEN_ENCRYPTION_KEY, config.DATA_DIR);
  }

  async issue(request: TokenRequest): Promise<TokenResponse> {
    const reuseApplies = request.grantType === 'client_credentials' && request.client.tokenType === 'OAUTH';
    if (!reuseApplies) return this.mint(request);
    const reuseKey = `${request.client.consumerKey}\n${request.scopes.join(' ')}`;
    if (this.config.TOKEN_RENEW_PER_REQUEST) return this.mint(request, reuseKey);
    // Single-flight: a burst of identical requests waits for the first one's token.
    const pending = this.inFlight.get(reuseKey);
    if (pending) {
      const retry = () => this.reuseOrMint(request, reuseKey);
      return pending.then(retry, retry);
    }
    const work = this.reuseOrMint(request, reuseKey).finally(() => this.inFlight.delete(reuseKey));
    this.inFlight.set(reuseKey, work);
    return work;
  }

  /** Reuse is over for these tokens (revoked); the next request mints a new one. */
  forgetTokens(tokenIds: Iterable<string>): void {
    const ids = new Set(tokenIds);
    for (const [key, token] of this.reusable) if (ids.has(token.tokenId)) this.reusable.delete(key);
  }

  forgetConsumerKey(consumerKey: string): void {
    for (const key of this.reusable.keys()) if (key.startsWith(`${consumerKey}\n`)) this.reusable.delete(key);
  }

  /** After a bus outage revocations may have been missed: the database decides again. */
  forgetAll(): void {
    this.reusable.clear();
  }

  private async reuseOrMint(request: TokenRequest, reuseKey: string): Promise<TokenResponse> {
    const now = Date.now();
    const existing = this.reusable.get(reuseKey);
    if (existing && existing.expiresAt - now > REUSE_MARGIN_MS && existing.secretHash === request.client.consumerSecretHash) {
      await this.writer.submit({ rows: [], events: [this.issuedEvent(request, existing.tokenId, existing.issuedAt, existing.expiresAt, true)] });
      return this.reusedResponse(existing, request, now);
    }
    this.reusable.delete(reuseKey);
    // Not known here: the database decides, so replicas agree on one token.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        const claimed = await this.database.transaction((manager) => this.claimReusable(manager, request, reuseKey));
        this.reusable.set(reuseKey, claimed.token);
        return claimed.response;
      } catch (error) {
        if (!(error instanceof LostReuseRace)) throw error;
      }
    }
    throw OAuth2Error.temporarilyUnavailable('Too many concurrent requests for this token; try again.');
  }

  /** Reuses the slot's token when it is still good, else mints one and takes the slot; throws LostReuseRace when another replica took it first. */
  private async claimReusable(
    manager: EntityManager,
    request: TokenRequest,
    reuseKey: string,
  ): Promise<{ token: ReusableToken; response: TokenResponse }> {
    const now = Date.now();
    const secretHash = request.client.consumerSecretHash;
    const slot = await manager.findOne(ReuseSlot, { where: { reuseKey } });
    if (slot && slot.secretHash === secretHash) {
      const row = await manager.findOne(TokenRecord, { where: { id: slot.tokenId } });
      const accessToken = row?.encryptedToken ? this.cipher.decrypt(row.encryptedToken, row.id) : null;
      if (row && accessToken && row.revokedAt === null && row.expiresAt - now > REUSE_MARGIN_MS && tokenHash(accessToken) === row.tokenHash) {
        const token = { tokenId: row.id, accessToken, expiresAt: row.expiresAt, issuedAt: row.issuedAt, secretHash };
        await manager.insert(OutboxEntry, this.issuedEvent(request, row.id, row.issuedAt, row.expiresAt, true));
        return { token, response: this.reusedResponse(token, request, now) };
      }
    }
    const prepared = await this.prepare(request, { reuseKey, renew: false });
    await manager.insert(TokenRecord, prepared.write.rows);
    await manager.insert(OutboxEntry, prepared.write.events);
    if (slot) {
      const updated = await manager.update(ReuseSlot, { reuseKey, tokenId: slot.tokenId }, { tokenId: prepared.tokenId, secretHash });
      if ((updated.affected ?? 0) !== 1) throw new LostReuseRace();
      // The slot's old token is not handed out again: it leaves the reuse-key index and its ciphertext goes.
      await manager.update(TokenRecord, { id: slot.tokenId }, { reuseKey: null, encryptedToken: null });
    } else {
      await manager.createQueryBuilder().insert().into(ReuseSlot).values({ reuseKey, tokenId: prepared.tokenId, secretHash }).orIgnore().execute();
      const taken = await manager.findOne(ReuseSlot, { where: { reuseKey } });
      if (taken?.tokenId !== prepared.tokenId) throw new LostReuseRace();
    }
    const token = { tokenId: prepared.tokenId, accessToken: prepared.response.access_token, expiresAt: prepared.expiresAt, issuedAt: prepared.issuedAt, secretHash };
    return { token, response: prepared.response };
  }

  private reusedResponse(token: ReusableToken, request: TokenRequest, now: number): TokenResponse {
    return {
      access_token: token.accessToken,
      scope: request.scopes.join(' '),
      token_type: 'Bearer',
      expires_in: Math.floor((token.expiresAt - now) / 1000),
    };
  }

  private async mint(request: TokenRequest, renewReuseKey?: string): Promise<TokenResponse> {
    const write = await this.prepare(request, renewReuseKey ? { reuseKey: renewReuseKey, renew: true } : undefined);
    await this.writer.submit(write.write);
    return write.response;
  }

  /**
   * The rows, event and response of a new token, not yet written: grants that
   * need their own transaction (refresh rotation) write them themselves.
   */
  async prepare(
    request: TokenRequest,
    reuse?: { reuseKey: string; renew: boolean },
  ): Promise<{ write: TokenWrite; response: TokenResponse; tokenId: string; issuedAt: number; expiresAt: number }> {
    const { client } = request;
    const issuedAt = Date.now();
    const expiresAt = issuedAt + request.lifetimeSeconds * 1000;
    const tokenId = timeOrderedUuid(issuedAt);
    const scope = request.scopes.join(' ');
    const accessToken = client.tokenType === 'OAUTH' ? opaqueToken(tokenId) : await this.signJwt(request, tokenId, issuedAt, expiresAt, scope);
    const rows: TokenRecord[] = [
      this.tokenRow(request, {
        id: tokenId,
        tokenHash: tokenHash(accessToken),
        kind: 'access',
        issuedAt,
        expiresAt,
        reuseKey: reuse?.reuseKey ?? null,
        encryptedToken: reuse && !reuse.renew ? this.cipher.encrypt(accessToken, tokenId) : null,
      }),
    ];
    const response: TokenResponse = { access_token: accessToken, scope, token_type: 'Bearer', expires_in: request.lifetimeSeconds };
    if (request.refresh) {
      const refreshTokenId = timeOrderedUuid(issuedAt);
      const refreshToken = opaqueToken(refreshTokenId);
      rows.push(
        this.tokenRow(request, {
          id: refreshTokenId,
          tokenHash: tokenHash(refreshToken),
          kind: 'refresh',
          issuedAt,
          expiresAt: issuedAt + this.config.REFRESH_TOKEN_VALIDITY * 1000,
          reuseKey: null,
          encryptedToken: null,
        }),
      );
      response.refresh_token = refreshToken;
    }
    const events = [this.issuedEvent(request, tokenId, issuedAt, expiresAt, false)];
    return { write: { rows, events, renewReuseKey: reuse?.renew ? reuse.reuseKey : undefined }, response, tokenId, issuedAt, expiresAt };
  }

  /** A token row, written out field by field: object spreads were a measurable share of the token path. */
  private tokenRow(
    request: TokenRequest,
    token: Pick<TokenRecord, 'id' | 'tokenHash' | 'kind' | 'issuedAt' | 'expiresAt' | 'reuseKey' | 'encryptedToken'>,
  ): TokenRecord {
    const { client } = request;
    const row = new TokenRecord();
    row.id = token.id;
    row.tokenHash = token.tokenHash;
    row.kind = token.kind;
    row.consumerKey = client.consumerKey;
    row.applicationId = client.applicationId;
    row.keyType = client.keyType;
    row.username = request.username ?? null;
    row.scopes = request.scopes.join(' ');
    row.grantType = request.grantType;
    row.tokenType = client.tokenType;
    row.familyId = request.refresh?.familyId ?? null;
    row.issuedAt = token.issuedAt;
    row.expiresAt = token.expiresAt;
    row.revokedAt = null;
    row.revokeReason = null;
    row.reuseKey = token.reuseKey;
    row.encryptedToken = token.encryptedToken;
    return row;
  }

  private issuedEvent(request: TokenRequest, tokenId: string, issuedAt: number, expiresAt: number, reused: boolean): Partial<OutboxEntry> {
    const { client } = request;
    return encodeEvent('tokens.issued.v1', {
      tokenId,
      applicationId: client.applicationId,
      consumerKey: client.consumerKey,
      keyType: client.keyType,
      grantType: request.grantType,
      ...(request.username !== undefined ? { username: request.username } : {}),
      scopes: request.scopes,
      tokenType: client.tokenType,
      issuedAt: new Date(issuedAt).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      reused,
    });
  }

  private signJwt(request: TokenRequest, tokenId: string, issuedAt: number, expiresAt: number, scope: string): Promise<string> {
    const { client } = request;
    const iat = Math.floor(issuedAt / 1000);
    return this.signer.sign({
      iss: this.config.ISSUER,
      sub: request.username ?? client.consumerKey,
      aud: client.consumerKey,
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
    });
  }
}
