import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { EntityManager } from 'typeorm';
import { Database, deleteRows, inListChunks, quotedTable, selectRows, SqlParams, timeOrderedUuidFloor } from '@keymint/persistence';
import { TokenRecord } from './token.entity';

/** Rows read per transaction; at most one chunk every PACE_MS while a pass lasts, then a new pass every PASS_EVERY_MS. */
const CHUNK = 1000;
const PACE_MS = 250;
const PASS_EVERY_MS = 10 * 60_000;

/**
 * Deletes the rows of tokens that expired longer ago than
 * EXPIRED_TOKEN_RETENTION (default a day), as WSO2's token cleanup or Hydra's
 * janitor do: an expired token introspects inactive and refreshes to
 * invalid_grant with or without its row, and without this the store grows by
 * a row per token forever.
 *
 * A pass walks the rows in id order, and ids are time-ordered: the oldest
 * first, up to the first id issued within the retention (no later token can
 * have expired that long ago). So it needs no index over expiry: one cost 6%
 * of renew throughput (measured), on every token, for a background job. Each
 * chunk is one transaction on the store's queue, paced so that a backlog
 * (the first pass after an upgrade) interleaves with the group commits.
 * Tokens from before ids were time-ordered (migration 1700000000002) are
 * reached only when their random id sorts below that bound.
 *
 * A row of a refresh family stays while any token of the family is live:
 * revoking the family's refresh token (RFC 7009), or presenting a rotated one
 * again, revokes the family's live access tokens, which may outlive the
 * refresh token by far (validity_period up to MAX_TOKEN_VALIDITY).
 */
@Injectable()
export class TokenPurger implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TokenPurger');
  private readonly retentionMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** The last id this pass has examined; '' starts a pass. */
  private cursor = '';

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(CONFIG) config: TokenServiceConfig,
  ) {
    this.retentionMs = config.EXPIRED_TOKEN_RETENTION * 1000;
  }

  onApplicationBootstrap(): void {
    if (this.retentionMs > 0) this.schedule(PACE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One chunk of the current pass: reads up to CHUNK rows after the cursor and deletes those expired before
   * `now - retention`. Returns whether the pass has more to read.
   */
  async purgeChunk(now = Date.now()): Promise<{ deleted: number; more: boolean }> {
    const cutoff = now - this.retentionMs;
    const rows = await this.database.transaction(async (manager) => {
      const params = new SqlParams(manager.connection);
      const table = quotedTable(manager.connection, TokenRecord);
      const found = (await manager.query(
        `SELECT "id", "expiresAt", "familyId" FROM ${table} ` +
          `WHERE "id" > ${params.add(this.cursor)} AND "id" < ${params.add(timeOrderedUuidFloor(cutoff))} ORDER BY "id" LIMIT ${CHUNK}`,
        params.values,
      )) as Array<{ id: string; expiresAt: string | number; familyId: string | null }>;
      const expired = found.filter((row) => Number(row.expiresAt) < cutoff);
      const liveFamilies = await this.liveFamilies(manager, expired, now);
      const deletable = expired.filter((row) => row.familyId === null || !liveFamilies.has(row.familyId)).map((row) => row.id);
      await deleteRows(manager, TokenRecord, 'id', deletable);
      return { found, deleted: deletable.length };
    });
    const more = rows.found.length === CHUNK;
    this.cursor = more ? rows.found[rows.found.length - 1].id : '';
    return { deleted: rows.deleted, more };
  }

  /** The families among `rows` that still have a token neither revoked nor expired (through the live-family index). */
  private async liveFamilies(manager: EntityManager, rows: ReadonlyArray<{ familyId: string | null }>, now: number): Promise<Set<string>> {
    const families = [...new Set(rows.flatMap((row) => (row.familyId === null ? [] : [row.familyId])))];
    const live = new Set<string>();
    for (const chunk of inListChunks(families)) {
      const found = await selectRows(
        manager,
        TokenRecord,
        (params) => `"familyId" IN (${params.inList(chunk)}) AND "revokedAt" IS NULL AND "expiresAt" > ${params.add(now)}`,
      );
      for (const row of found) live.add(row.familyId!);
    }
    return live;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.purgeAndReschedule();
    }, delayMs);
    this.timer.unref();
  }

  private async purgeAndReschedule(): Promise<void> {
    try {
      const { deleted, more } = await this.purgeChunk();
      if (deleted > 0) this.logger.debug(`deleted ${deleted} expired tokens`);
      this.schedule(more ? PACE_MS : PASS_EVERY_MS);
    } catch (error) {
      // Housekeeping: a store that is down now is tried again on the next pass.
      this.cursor = '';
      this.logger.warn(`purging expired tokens failed, trying again in ${PASS_EVERY_MS / 60_000} min: ${(error as Error).message}`);
      this.schedule(PASS_EVERY_MS);
    }
  }
}
