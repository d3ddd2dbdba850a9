import { Database } from '@keymint/persistence';
import { reuseKeyOf } from '../token-storage/reuse-slot.entity';
import { JtiReplays } from './jti-replays';
import { OAuth2Error } from './oauth2-error';

const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const LIVE = NOW + 60_000;

describe('JtiReplays on one SQLite instance (ids in memory)', () => {
  const replays = () => new JtiReplays({ postgres: false } as Database);

  it('accepts an id once while it is live, and again once it has expired', async () => {
    const store = replays();
    expect(await store.firstUse('client-1', 'jti-1', LIVE, NOW)).toBe(true);
    expect(await store.firstUse('client-1', 'jti-1', LIVE, NOW + 1000)).toBe(false);
    expect(await store.firstUse('client-2', 'jti-1', LIVE, NOW)).toBe(true);
    expect(await store.firstUse('client-1', 'jti-1', LIVE + 60_000, LIVE + 1)).toBe(true);
    store.onModuleDestroy();
  });

  it('never forgets a live id to make room: past the bound it refuses new ones (503) until some expire', async () => {
    const store = replays();
    // Flooding the memory with fresh ids must not make a captured one replayable.
    expect(await store.firstUse('victim', 'captured', LIVE, NOW)).toBe(true);
    for (let index = 1; index < 200_000; index += 1) await store.firstUse('attacker', `flood-${index}`, LIVE, NOW);
    const full = await store.firstUse('attacker', 'one-more', LIVE, NOW).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(OAuth2Error);
    expect((full as OAuth2Error).code).toBe('temporarily_unavailable');
    expect(await store.firstUse('victim', 'captured', LIVE, NOW + 2000)).toBe(false);
    // Once they have expired, the room is there again.
    expect(await store.firstUse('attacker', 'one-more', LIVE + 60_000, LIVE + 1)).toBe(true);
    store.onModuleDestroy();
  });
});

describe('reuseKeyOf', () => {
  it('keeps every reuse key within its column, whatever the scopes, apart for each scope set and binding', () => {
    const consumerKey = 'k'.repeat(255);
    const longScopes = Array.from({ length: 60 }, (_, index) => `scope:with:a:long:name:${index}`);
    const keys = [
      reuseKeyOf(consumerKey, longScopes),
      reuseKeyOf(consumerKey, longScopes.slice(1)),
      reuseKeyOf(consumerKey, longScopes, { confirmation: { jkt: 'a'.repeat(43) } }),
      reuseKeyOf(consumerKey, longScopes, { audience: ['https://api.example.com/orders'] }),
      reuseKeyOf(consumerKey, ['default']),
    ];
    for (const key of keys) {
      expect(key.length).toBeLessThanOrEqual(500);
      // A key's reuse keys share its prefix (forgetting a consumer key's tokens looks them up by it).
      expect(key.startsWith(`${consumerKey}\n`)).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[4]).toBe(`${consumerKey}\ndefault`);
  });
});
