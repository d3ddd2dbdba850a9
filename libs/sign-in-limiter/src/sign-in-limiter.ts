import { hash } from 'node:crypto';
import { Logger, OnModuleDestroy } from '@nestjs/common';
import type { Database } from '@keymint/persistence';
import { addressBucket } from './address-bucket';
import { FailureWindow, StoredFailureCounts } from './stored-failure-counts';

/** Failures are counted in fixed windows of one minute. */
export const SIGN_IN_WINDOW_MS = 60_000;
/** Bounded memory: past this many tracked pairs the oldest are dropped first. */
const MAX_TRACKED = 100_000;

/** An attempt counted before its check: released when the check succeeds, kept as a failure otherwise. */
export type Reservation = { refused: false; release(): Promise<void> } | { refused: true; retryAfterSeconds: number };

/**
 * The failed sign-ins of one kind of principal (consumer keys at the token
 * service, users at the registry), per (principal, client address bucket),
 * in fixed one-minute windows: past `limit` failures that pair is refused
 * without its credentials being checked, until its window ends. Other pairs
 * are untouched, so the right password from another address still works.
 *
 * Counts live in this replica's memory, and, when `stored` is given (the
 * shared PostgreSQL), where all replicas count together: every failure is
 * added there and the answer to the failure follows the shared count, so N
 * replicas together give `limit` "wrong credentials" answers, not N times it.
 */
export class SignInLimiter implements OnModuleDestroy {
  private readonly logger = new Logger('SignInLimiter');
  private readonly windows = new Map<string, FailureWindow>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limit: number,
    private readonly stored?: StoredFailureCounts,
  ) {
    this.sweeper = setInterval(() => void this.sweep(Date.now()), SIGN_IN_WINDOW_MS);
    this.sweeper.unref();
  }

  /** Seconds the pair must wait before its credentials are checked again, as far as this replica knows; 0: it may try. */
  waitSeconds(principal: string, address: string, now = Date.now()): number {
    return this.wait(this.windows.get(pairKey(principal, address)), now);
  }

  /**
   * Counts a failed check whose verdict was reached without waiting (nothing else could run between the
   * check and this count). Returns the seconds to wait when this failure went past the limit (answer 429), else 0.
   */
  async recordFailure(principal: string, address: string, now = Date.now()): Promise<number> {
    const key = pairKey(principal, address);
    const window = await this.add(key, now);
    return window.failures > this.limit ? this.secondsLeft(window, now) : 0;
  }

  /**
   * Counts an attempt as a failure before a check that must be waited for (a password hash), so that a
   * concurrent burst cannot pass the limit while its checks run; `release` takes it back when the check succeeds.
   */
  async reserve(principal: string, address: string, now = Date.now()): Promise<Reservation> {
    const key = pairKey(principal, address);
    const waitSeconds = this.wait(this.windows.get(key), now);
    if (waitSeconds > 0) return { refused: true, retryAfterSeconds: waitSeconds };
    const window = await this.add(key, now);
    if (window.failures > this.limit) return { refused: true, retryAfterSeconds: this.secondsLeft(window, now) };
    return { refused: false, release: () => this.takeBack(key, window.endsAt) };
  }

  get size(): number {
    return this.windows.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Adds one failure here (before any wait, so this replica's burst is counted in order) and in the shared store. */
  private async add(key: string, now: number): Promise<FailureWindow> {
    const local = this.countLocally(key, now);
    if (!this.stored) return { ...local };
    const shared = await this.stored.add(storedKey(key), now, SIGN_IN_WINDOW_MS);
    // The store is the truth; this replica's own attempts still in flight may have counted further.
    const current = this.windows.get(key);
    const ownFailures = current && current.endsAt > now ? current.failures : 0;
    const merged = { failures: Math.max(ownFailures, shared.failures), endsAt: shared.endsAt };
    this.windows.set(key, merged);
    return shared;
  }

  private countLocally(key: string, now: number): FailureWindow {
    const window = this.windows.get(key);
    if (window && window.endsAt > now) {
      window.failures += 1;
      return window;
    }
    if (this.windows.size >= MAX_TRACKED) this.sweepLocal(now, true);
    this.windows.delete(key);
    const started = { failures: 1, endsAt: now + SIGN_IN_WINDOW_MS };
    this.windows.set(key, started);
    return started;
  }

  private async takeBack(key: string, endsAt: number): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.failures > 0) window.failures -= 1;
    await this.stored?.takeBack(storedKey(key), endsAt);
  }

  private wait(window: FailureWindow | undefined, now: number): number {
    return window && window.endsAt > now && window.failures >= this.limit ? this.secondsLeft(window, now) : 0;
  }

  private secondsLeft(window: FailureWindow, now: number): number {
    return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
  }

  private async sweep(now: number): Promise<void> {
    this.sweepLocal(now, false);
    try {
      await this.stored?.purge(now);
    } catch (error) {
      this.logger.warn(`could not purge ended sign-in windows: ${(error as Error).message}`);
    }
  }

  private sweepLocal(now: number, evictOldest: boolean): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    // Still full: drop the oldest tenth (a Map keeps insertion order).
    if (evictOldest && this.windows.size >= MAX_TRACKED) {
      let toDrop = Math.ceil(MAX_TRACKED / 10);
      for (const key of this.windows.keys()) {
        if (toDrop-- <= 0) break;
        this.windows.delete(key);
      }
    }
  }
}

function pairKey(principal: string, address: string): string {
  return `${principal}\u0000${addressBucket(address)}`;
}

/** The stored key: fixed length, and names neither the principal nor the address in clear. */
function storedKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A service's limiter: counted in its PostgreSQL, shared by its replicas; in memory for a single SQLite instance. */
export function signInLimiterFor(limit: number, database: Database): SignInLimiter {
  return new SignInLimiter(limit, database.postgres ? new StoredFailureCounts(database) : undefined);
}
