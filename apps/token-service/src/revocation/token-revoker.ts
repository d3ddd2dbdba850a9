import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TokenRevocationReason } from '@keymint/contracts';
import { Database } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { TokenRecord } from '../token-storage/token.entity';
import { TokenStore } from '../token-storage/token-store';
import { TokenWriter } from '../token-storage/token-writer';

/** What was revoked, for those on this replica that keep tokens in memory (the reuse index). */
export type Revoked = { tokenIds: string[] } | { consumerKey: string };

/**
 * Every revocation decides here which tokens go: one token (RFC 7009), a
 * refresh family (RFC 7009 on a refresh token, or a rotated refresh token
 * presented again), every token of a consumer key, an application or a user
 * (the registry's events). TokenWriter writes them with their tokens.revoked.v1
 * events; other replicas learn of them from those events. Each is made for
 * a request (`origin`: a client's, or the registry's whose event it applies),
 * which the events carry on.
 */
@Injectable()
export class TokenRevoker {
  private readonly listeners: Array<(revoked: Revoked) => void> = [];

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(TokenStore) private readonly store: TokenStore,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
  ) {}

  /** Called for every revocation made on this replica, at once (the bus's event comes later). */
  onRevoked(listener: (revoked: Revoked) => void): void {
    this.listeners.push(listener);
  }

  /** One token in a transaction of its own; a refresh token takes its whole family with it. */
  async revokeToken(row: TokenRecord, reason: TokenRevocationReason, origin: RequestContext | undefined): Promise<void> {
    const revoked = await this.database.transaction(async (manager) => {
      const rows = row.familyId && row.kind === 'refresh' ? await this.store.liveFamily(manager, row.familyId) : await this.store.liveToken(manager, row.id);
      await this.writer.revokeInTransaction(manager, rows, reason, origin);
      return rows;
    });
    this.announce({ tokenIds: revoked.map((revokedRow) => revokedRow.id) });
  }

  /** A refresh token used twice: the whole family, access tokens included (OAuth 2.0 Security BCP §4.14). */
  async revokeFamilyInTransaction(manager: EntityManager, familyId: string, origin: RequestContext | undefined): Promise<void> {
    const rows = await this.store.liveFamily(manager, familyId);
    await this.writer.revokeInTransaction(manager, rows, 'refresh_token_reuse', origin);
    this.announce({ tokenIds: rows.map((row) => row.id) });
  }

  /** Every live token of a consumer key (secret regenerated, key revoked), in the caller's transaction. */
  async revokeConsumerKeyInTransaction(
    manager: EntityManager,
    consumerKey: string,
    applicationId: string,
    reason: TokenRevocationReason,
    origin: RequestContext | undefined,
  ): Promise<void> {
    await this.writer.revokeConsumerKeyInTransaction(manager, consumerKey, applicationId, reason, origin);
    this.announce({ consumerKey });
  }

  /**
   * Every live token of a user, of every key (password changed, a role taken away, user deleted): one event per
   * access token, as for a family. The reuse index holds no user's token; the announcement is for any other listener.
   */
  async revokeUserInTransaction(manager: EntityManager, username: string, reason: TokenRevocationReason, origin: RequestContext | undefined): Promise<void> {
    const rows = await this.store.liveTokensOfUser(manager, username);
    await this.writer.revokeInTransaction(manager, rows, reason, origin);
    this.announce({ tokenIds: rows.map((row) => row.id) });
  }

  /** Every live token of an application (deleted): one event per consumer key that had live tokens. */
  async revokeApplicationInTransaction(manager: EntityManager, applicationId: string, reason: TokenRevocationReason, origin: RequestContext | undefined): Promise<void> {
    for (const consumerKey of await this.store.consumerKeysWithLiveTokens(manager, applicationId)) {
      await this.revokeConsumerKeyInTransaction(manager, consumerKey, applicationId, reason, origin);
    }
  }

  private announce(revoked: Revoked): void {
    for (const listener of this.listeners) listener(revoked);
  }
}
