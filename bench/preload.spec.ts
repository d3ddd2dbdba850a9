import { preloadRow } from './preload';

describe('preloadRow', () => {
  const client = { consumerKey: 'bench-key', applicationId: 'bench-app', scope: 'default' };
  const now = Date.UTC(2026, 10, 25);
  const rows = Array.from({ length: 10_000 }, (_, index) => preloadRow(index, client, now, 'salt'));

  it("makes every tenth token the measured client's earlier, superseded one (same reuse key, revoked 'renewed')", () => {
    const own = rows.filter((row) => row.consumerKey === client.consumerKey);
    expect(own).toHaveLength(1000);
    for (const row of own) {
      expect(row).toEqual(expect.objectContaining({ reuseKey: 'bench-key\ndefault', revokeReason: 'renewed', grantType: 'client_credentials', kind: 'access' }));
      expect(row.revokedAt).not.toBeNull();
    }
  });

  it('spreads the rest over 1,000 other applications with password and refresh tokens, access tokens mostly expired, some revoked', () => {
    const others = rows.filter((row) => row.consumerKey !== client.consumerKey);
    expect(new Set(others.map((row) => row.applicationId)).size).toBe(1000);
    expect(others.some((row) => row.grantType === 'password' && row.username && row.kind === 'refresh')).toBe(true);
    const access = others.filter((row) => row.kind === 'access');
    expect(access.filter((row) => row.expiresAt < now).length / access.length).toBeGreaterThan(0.9);
    expect(others.some((row) => row.revokedAt !== null)).toBe(true);
    expect(others.every((row) => row.reuseKey === null)).toBe(true);
  });

  it('holds nothing the purge of expired tokens would delete (none expired a day ago or longer), as a store in use', () => {
    const DAY_MS = 86_400_000;
    expect(rows.every((row) => row.expiresAt > now - DAY_MS && row.issuedAt <= now)).toBe(true);
  });

  it('gives every row its own id and token hash', () => {
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    expect(new Set(rows.map((row) => row.tokenHash)).size).toBe(rows.length);
    for (const row of rows.slice(0, 10)) expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
