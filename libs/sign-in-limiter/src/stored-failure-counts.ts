import { Database, tableName } from '@keymint/persistence';

/** A principal's failures in its current window, and when that window ends (epoch ms). */
export interface FailureWindow {
  failures: number;
  endsAt: number;
}

export const SIGN_IN_FAILURES_TABLE = 'sign_in_failures';

/**
 * Failure counts where replicas meet: the service's PostgreSQL, one row per
 * (principal, address) that failed within the window, keyed by a hash (so the
 * table holds no usernames or addresses). Each change is one atomic statement:
 * replicas adding at the same instant all see distinct counts.
 */
export class StoredFailureCounts {
  private readonly table: string;

  constructor(private readonly database: Database) {
    this.table = `"${tableName(database.dataSource, SIGN_IN_FAILURES_TABLE)}"`;
  }

  /** Adds one failure (a new window when the last one has ended) and returns the window as it is now. */
  async add(key: string, now: number, windowMs: number): Promise<FailureWindow> {
    const rows: Array<{ failures: number | string; windowEndsAt: number | string }> = await this.database.dataSource.query(
      `INSERT INTO ${this.table} AS counted ("key", "windowEndsAt", "failures") VALUES ($1, $2, 1)
       ON CONFLICT ("key") DO UPDATE SET
         "failures" = CASE WHEN counted."windowEndsAt" <= $3 THEN 1 ELSE counted."failures" + 1 END,
         "windowEndsAt" = CASE WHEN counted."windowEndsAt" <= $3 THEN $2 ELSE counted."windowEndsAt" END
       RETURNING "failures", "windowEndsAt"`,
      [key, now + windowMs, now],
    );
    return { failures: Number(rows[0].failures), endsAt: Number(rows[0].windowEndsAt) };
  }

  /** Takes back one failure added to the window ending at `endsAt` (an attempt counted before its check, which succeeded). */
  async takeBack(key: string, endsAt: number): Promise<void> {
    await this.database.dataSource.query(
      `UPDATE ${this.table} SET "failures" = "failures" - 1 WHERE "key" = $1 AND "windowEndsAt" = $2 AND "failures" > 0`,
      [key, endsAt],
    );
  }

  /** Deletes the windows that have ended: the table holds only current failures. */
  async purge(now: number): Promise<void> {
    await this.database.dataSource.query(`DELETE FROM ${this.table} WHERE "windowEndsAt" <= $1`, [now]);
  }
}
