import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';

const WINDOW_MS = 60_000;
// Bounded memory: past this many tracked pairs the oldest windows are dropped first.
const MAX_ENTRIES = 100_000;

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Failed authentications per (principal, source address) in a
 * fixed one-minute window; past the limit that pair is refused without the
 * secret being checked. Other pairs are untouched.
 */
@Injectable()
export class AuthFailureLimiter implements OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly limit: number;

  constructor(@Inject(CONFIG) config: Pick<TokenServiceConfig, 'AUTH_FAILURE_LIMIT'>) {
    this.limit = config.AUTH_FAILURE_LIMIT;
    this.sweeper = setInterval(() => this.sweep(Date.now()), WINDOW_MS);
    this.sweeper.unref();
  }

  /** Seconds until the pair may try again, or 0 when it is not blocked. */
  blockedFor(kind: 'client' | 'user', principal: string, address: string, now = Date.now()): number {
    const window = this.windows.get(key(kind, principal, address));
    if (!window || now - window.startedAt >= WINDOW_MS || window.failures < this.limit) return 0;
    return (window.startedAt + WINDOW_MS - now) / 1000;
  }

  recordFailure(kind: 'client' | 'user', principal: string, address: string, now = Date.now()): void {
    const id = key(kind, principal, address);
    const window = this.windows.get(id);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      if (this.windows.size >= MAX_ENTRIES) this.sweep(now, true);
      this.windows.delete(id);
      this.windows.set(id, { startedAt: now, failures: 1 });
    } else {
      window.failures += 1;
    }
  }

  get size(): number {
    return this.windows.size;
  }

  sweep(now: number, evictOldest = false): void {
    for (const [id, window] of this.windows) {
      if (now - window.startedAt >= WINDOW_MS) this.windows.delete(id);
    }
    // Still full: drop the oldest tenth (Map keeps insertion order).
    if (evictOldest && this.windows.size >= MAX_ENTRIES) {
      let toDrop = Math.ceil(MAX_ENTRIES / 10);
      for (const id of this.windows.keys()) {
        if (toDrop-- <= 0) break;
        this.windows.delete(id);
      }
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}

function key(kind: string, principal: string, address: string): string {
  return `${kind}\u0000${principal}\u0000${address}`;
}
