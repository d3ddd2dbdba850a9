import { startTestCluster, TestCluster } from '../../../test/support/cluster';
import { FakeRegistry } from './fake-registry';
import { basic, form, post } from './support';

const MAX_LIFETIME_SECONDS = 4;

/**
 * REFRESH_TOKEN_MAX_LIFETIME, played by an attacker who stole a refresh token
 * and keeps rotating it (the victim no longer uses it, so reuse detection
 * never fires): every rotation gives a new refresh token, yet the family ends
 * MAX_LIFETIME_SECONDS after its password grant, well before
 * REFRESH_TOKEN_VALIDITY (a day). The compiled token service on its own NATS
 * and SQLite, a fake registry answering its RPCs.
 */
describe('refresh-token family lifetime (e2e)', () => {
  let cluster: TestCluster;
  let registry: FakeRegistry;
  let secret: string;
  const url = (path: string) => cluster.url('token-service', path);
  const token = (body: Record<string, string>) => post(url('/token'), form(body), { authorization: basic('rotating', secret) });

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['token-service'], env: { REFRESH_TOKEN_MAX_LIFETIME: String(MAX_LIFETIME_SECONDS) } });
    registry = await FakeRegistry.start(cluster);
    secret = registry.addClient({ consumerKey: 'rotating', tokenType: 'OAUTH', grantTypes: ['password', 'refresh_token'] });
    registry.users.set('mia', { password: 'mia-password', roles: [] });
  });

  afterAll(async () => {
    await registry?.close();
    await cluster?.stop();
  });

  it('refuses a family older than REFRESH_TOKEN_MAX_LIFETIME, however often it was rotated', async () => {
    const started = Date.now();
    const login = await token({ grant_type: 'password', username: 'mia', password: 'mia-password' });
    expect(login.status).toBe(200);
    let refreshToken: string = login.json.refresh_token;

    // Rotated every half second: each answer is a new, working refresh token.
    let rotations = 0;
    while (Date.now() - started < (MAX_LIFETIME_SECONDS - 1.5) * 1000) {
      const rotated = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(rotated.status).toBe(200);
      refreshToken = rotated.json.refresh_token;
      rotations += 1;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(rotations).toBeGreaterThanOrEqual(2);
    // The newest one expires with its family, not REFRESH_TOKEN_VALIDITY (a day) after its rotation.
    const introspected = await post(url('/oauth2/introspect'), form({ token: refreshToken }), { authorization: basic('rotating', secret) });
    expect(introspected.json).toMatchObject({ active: true });
    expect(introspected.json.exp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + MAX_LIFETIME_SECONDS);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (MAX_LIFETIME_SECONDS + 1) * 1000 - Date.now())));
    const tooOld = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect({ status: tooOld.status, error: tooOld.json.error }).toEqual({ status: 400, error: 'invalid_grant' });

    // A new password grant starts a new family.
    const again = await token({ grant_type: 'password', username: 'mia', password: 'mia-password' });
    expect((await token({ grant_type: 'refresh_token', refresh_token: again.json.refresh_token })).status).toBe(200);
  });
});
