import { hash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Database, tableName } from '@keymint/persistence';
import { ASSERTION_JTIS_TABLE } from '../migrations/1700000000006-client-assertion-jtis';

const SWEEP_MS = 60_000;
/** Bounded memory on one instance: past this many remembered assertions the oldest are dropped. */
const MAX_REMEMBERED = 200_000;

/**
 * RFC 7523 §3: a client assertion's `jti` is accepted once while the assertion
 * is valid. On PostgreSQL the ids live in the token service's table
 * `client_assertion_jtis`, where every replica meets them (one atomic insert:
 * of two replicas given the same assertion at once, exactly one succeeds); a
 * single SQLite instance keeps them in memory. Keyed by a hash of client and
 * jti; a row goes once its assertion has expired.
 */
@Injectable()
export class AssertionReplays implements OnModuleDestroy {
  private readonly logger = new Logger('AssertionReplays');
  private readonly remembered = new Map<string, number>();
  private readonly table: string | null;
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(Database) private readonly database: Database) {
    this.table = database.postgres ? `"${tableName(database.dataSource, ASSERTION_JTIS_TABLE)}"` : null;
    this.sweeper = setInterval(() => void this.sweep(Date.now()), SWEEP_MS);
    this.sweeper.unref();
  }

  /** True the first time this client presents this jti before `expiresAt` (epoch ms); false for a replay. */
  async firstUse(clientId: string, jti: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    const key = hash('sha256', `${clientId}\u0000${jti}`, 'hex');
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
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
    this.remembered.set(key, expiresAt);
    return true;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private async sweep(now: number): Promise<void> {
    for (const [key, expiresAt] of this.remembered) if (expiresAt <= now) this.remembered.delete(key);
    if (!this.table) return;
    try {
      await this.database.dataSource.query(`DELETE FROM ${this.table} WHERE "expiresAt" <= $1`, [now]);
    } catch (error) {
      this.logger.warn(`could not delete expired client assertion ids: ${(error as Error).message}`);
    }
  }
}
