import { hash } from 'node:crypto';

interface Entry {
  username: string;
  roles: string[];
  expiresAt: number;
}

/**
 * Successful password checks, kept briefly because scrypt costs a few hundred
 * ms (password-hasher.ts): keyed by SHA-256 of "user:password" (never the
 * password), dropped on password change or user deletion. (Checks of the same
 * credentials that run at the same time share one scrypt: UserSignIn.)
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(username: string, password: string): { username: string; roles: string[] } | null {
    const id = cacheKey(username, password);
    const entry = this.entries.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return null;
    }
    return { username: entry.username, roles: entry.roles };
  }

  set(username: string, password: string, canonical: string, roles: string[]): void {
    // Oldest first: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(cacheKey(username, password), { username: canonical, roles, expiresAt: this.now() + this.ttlMs });
  }

  forget(canonicalUsername: string): void {
    for (const [id, entry] of this.entries) if (entry.username === canonicalUsername) this.entries.delete(id);
  }
}

function cacheKey(username: string, password: string): string {
  return hash('sha256', `${username}:${password}`, 'hex');
}
