import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ClientRecord } from '@keymint/contracts';
import { Database, statementsIn } from '@keymint/persistence';
import { TokenMinter, TokenRequest } from '../../minting/token-minter';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { TokenRevoker } from '../../revocation/token-revoker';
import { issuedEvent } from '../../token-storage/token-events';
import { ReuseSlot, reuseKeyOf } from '../../token-storage/reuse-slot.entity';
import { TokenRecord, tokenTypeOf } from '../../token-storage/token.entity';
import { TokenWriter } from '../../token-storage/token-writer';
import { IssuedToken } from '../grant-handler';

/** A token this replica may hand out again: its row and the token itself. */
interface ReusableToken {
  access: TokenRecord;
  accessToken: string;
  /** The secrets the client had when it was issued (secretsFingerprint): a regenerated secret ends reuse on every replica. */
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
 * WSO2 token reuse: while a key's opaque client-credentials token for a scope
 * set is valid, the same token is handed out again. One token per reuse key
 * across replicas: the store's reuse slot decides (`claim`); this replica
 * keeps what it knows in memory, and a burst of identical requests waits for
 * the first one's answer (single-flight).
 */
@Injectable()
export class ReusableTokens {
  private readonly known = new Map<string, ReusableToken>();
  private readonly inFlight = new Map<string, Promise<IssuedToken>>();

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(TokenMinter) private readonly minter: TokenMinter,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
    @Inject(TokenRevoker) revoker: TokenRevoker,
  ) {
    revoker.onRevoked((revoked) => ('consumerKey' in revoked ? this.forgetConsumerKey(revoked.consumerKey) : this.forgetTokens(revoked.tokenIds)));
  }

  issue(request: TokenRequest, reuseKey: string): Promise<IssuedToken> {
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
    for (const [key, token] of this.known) if (ids.has(token.access.id)) this.known.delete(key);
  }

  forgetConsumerKey(consumerKey: string): void {
    const prefix = reuseKeyOf(consumerKey, []);
    for (const key of this.known.keys()) if (key.startsWith(prefix)) this.known.delete(key);
  }

  /** After a bus outage revocations may have been missed: the database decides again. */
  forgetAll(): void {
    this.known.clear();
  }

  private async reuseOrMint(request: TokenRequest, reuseKey: string): Promise<IssuedToken> {
    const now = Date.now();
    const known = this.known.get(reuseKey);
    if (known && known.access.expiresAt - now > REUSE_MARGIN_MS && known.secretHash === secretsFingerprint(request.client)) {
      await this.writer.submit({ rows: [], events: [issuedEvent(known.access, true, request.clientAuthMethod, request.origin)] });
      return reusedToken(known, now);
    }
    this.known.delete(reuseKey);
    // Not known here: the database decides, so replicas agree on one token.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        const claimed = await this.database.transaction((manager) => this.claim(manager, request, reuseKey));
        this.known.set(reuseKey, claimed.token);
        return claimed.issued;
      } catch (error) {
        if (!(error instanceof LostReuseRace)) throw error;
      }
    }
    throw OAuth2Error.temporarilyUnavailable('Too many concurrent requests for this token; try again.');
  }

  /** Hands out the slot's token again when it is still good, else mints one and takes the slot; throws LostReuseRace when another replica took it first. */
  private async claim(manager: EntityManager, request: TokenRequest, reuseKey: string): Promise<{ token: ReusableToken; issued: IssuedToken }> {
    const now = Date.now();
    const secretHash = secretsFingerprint(request.client);
    const slot = await manager.findOne(ReuseSlot, { where: { reuseKey } });
    if (slot && slot.secretHash === secretHash) {
      const access = await manager.findOne(TokenRecord, { where: { id: slot.tokenId } });
      const accessToken = access ? this.minter.reveal(access) : null;
      if (access && accessToken && access.revokedAt === null && access.expiresAt - now > REUSE_MARGIN_MS) {
        const token = { access, accessToken, secretHash };
        await this.writer.writeInTransaction(statementsIn(manager), [{ rows: [], events: [issuedEvent(access, true, request.clientAuthMethod, request.origin)] }]);
        return { token, issued: reusedToken(token, now) };
      }
    }
    const minted = await this.minter.mint(request, { reuseKey, keepToken: true });
    await this.writer.writeInTransaction(statementsIn(manager), [minted]);
    if (slot) {
      const updated = await manager.update(ReuseSlot, { reuseKey, tokenId: slot.tokenId }, { tokenId: minted.access.id, secretHash });
      if ((updated.affected ?? 0) !== 1) throw new LostReuseRace();
      await this.writer.retireFromReuseInTransaction(manager, slot.tokenId);
    } else {
      await manager.createQueryBuilder().insert().into(ReuseSlot).values({ reuseKey, tokenId: minted.access.id, secretHash }).orIgnore().execute();
      const taken = await manager.findOne(ReuseSlot, { where: { reuseKey } });
      if (taken?.tokenId !== minted.access.id) throw new LostReuseRace();
    }
    return {
      token: { access: minted.access, accessToken: minted.response.access_token, secretHash },
      issued: { response: minted.response, access: minted.access, reused: false },
    };
  }
}

function reusedToken(token: ReusableToken, now: number): IssuedToken {
  const response = {
    access_token: token.accessToken,
    scope: token.access.scopes,
    token_type: tokenTypeOf(token.access),
    expires_in: Math.floor((token.access.expiresAt - now) / 1000),
  };
  return { response, access: token.access, reused: true };
}

/**
 * The key's set of secrets when a token was filed for reuse: after regenerate-secret (every secret new) no
 * token filed before is handed out again, even before its revocation arrives. Adding or revoking a secret
 * changes it too, which costs one fresh token.
 */
function secretsFingerprint(client: ClientRecord): string {
  return hash('sha256', client.secrets.map((secret) => secret.hash).sort().join(','), 'hex');
}
