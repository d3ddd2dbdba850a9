import { hash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Database, tableName } from '@keymint/persistence';
import { ASSERTION_JTIS_TABLE } from '../migrations/1700000000006-client-assertion-jtis';
import { OAuth2Error } from './oauth2-error';

const SWEEP_MS = 60_000;
/**
 * Bounded memory on one instance. An id that could still be replayed is never forgotten to make room: past
 * this many live ids, new single-use JWTs are refused as `temporarily_unavailable` until some expire (at most
 * the JWTs' 60 s to 5 min; ~3,300 a second sustained on one SQLite instance would get there).
 */
const MAX_REMEMBERED = 200_000;

/**
 * Single-use JWTs: a client assertion's `jti` (RFC 7523 §3) and a DPoP proof's
 * `jti` (RFC 9449 §11.1) are each accepted once while the JWT is acceptable.
 * On PostgreSQL the ids live in the token service's table
 * `client_assertion_jtis`, where every replica meets them (one atomic insert:
 * of two replicas given the same JWT at once, exactly one succeeds); a single
 * SQLite instance keeps them in memory. Keyed by a hash of the id's owner (a
 * client's consumer key, or a DPoP key's thumbprint under `dpop-jkt:`) and the
 * jti; a row goes once its JWT can no longer be accepted.
 */
@Injectable()
export class JtiReplays implements OnModuleDestroy {
  private readonly logger = new Logger('JtiReplays');
  private readonly remembered = new Map<string, number>();
  private readonly table: string | null;
  private readonly sweeper: NodeJS.Timeout;
  private lastFullSweep = 0;

  constructor(@Inject(Database) private readonly database: Database) {
    this.table = database.postgres ? `"${tableName(database.dataSource, ASSERTION_JTIS_TABLE)}"` : null;
    this.sweeper = setInterval(() => void this.sweep(Date.now()), SWEEP_MS);
    this.sweeper.unref();
  }

  /** True the first time `owner` presents this jti before `expiresAt` (epoch ms); false for a replay. */
  async firstUse(owner: string, jti: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    const key = hash('sha256', `${owner}\u0000${jti}`, 'hex');
    if (this.table) {
      // Inserted, or an expired id taken again: a row comes back. A live id: none.
      const rows: unknown[] = await this.database.dataSource.query(
        `INSERT INTO ${this.table} AS used ("key", "expiresAt") VALUES ($1, $2)
         ON CONFLICT ("key") DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt" WHERE used."expiresAt" <= $3
         RETURNING "key"`,
        [key, expiresAt, now],
      );
      return rows.length === 1;
    }
    const known = this.remembered.get(key);
    if (known !== undefined && known > now) return false;
    if (this.remembered.size >= MAX_REMEMBERED && known === undefined) {
      // At most one sweep a second while full: each reads every id.
      if (now - this.lastFullSweep >= 1000) {
        this.lastFullSweep = now;
        this.forgetExpired(now);
      }
      if (this.remembered.size >= MAX_REMEMBERED) {
        throw OAuth2Error.temporarilyUnavailable('Too many single-use JWTs (client assertions, DPoP proofs) are live on this instance; try again shortly.');
      }
    }
    this.remembered.set(key, expiresAt);
    return true;
  }

  private forgetExpired(now: number): void {
    for (const [key, expiresAt] of this.remembered) if (expiresAt <= now) this.remembered.delete(key);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private async sweep(now: number): Promise<void> {
    this.forgetExpired(now);
    if (!this.table) return;
    try {
      await this.database.dataSource.query(`DELETE FROM ${this.table} WHERE "expiresAt" <= $1`, [now]);
    } catch (error) {
      this.logger.warn(`could not delete expired JWT ids: ${(error as Error).message}`);
    }
  }
}
