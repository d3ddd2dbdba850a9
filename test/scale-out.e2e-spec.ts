import { startTestCluster, TestCluster } from './support/cluster';
import { http } from './support/http';
import { postgresTestDatabase } from './support/postgres';
import { clientCredentialsApplication } from './support/registry';

/**
 * The scale-out layout (docs/operations.md) on one machine: every service on one PostgreSQL database, two
 * token-service replicas and two analytics replicas on one NATS, nothing
 * shared in memory. Under load spread over both token replicas, analytics
 * (asked through either replica) counts every 200 exactly once.
 */
describe('scale-out on PostgreSQL with replicas', () => {
  let cluster: TestCluster | undefined;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let tokenUrls: string[] = [];
  let analyticsUrls: string[] = [];
  let authorization = '';

  beforeAll(async () => {
    database = (await postgresTestDatabase()) ?? undefined;
    if (!database) return;
    cluster = await startTestCluster({ dbUrl: database.url, env: { JWT_ALG: 'ES256' } });
    const [tokenReplica, analyticsReplica] = await Promise.all([cluster.addReplica('token-service'), cluster.addReplica('analytics')]);
    tokenUrls = [cluster.url('token-service', '/token'), `${tokenReplica.baseUrl}/token`];
    analyticsUrls = [cluster.url('analytics'), analyticsReplica.baseUrl];

    authorization = await clientCredentialsApplication(cluster, { name: 'scaled', tokenType: 'JWT' });
  });

  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  it('counts every token issued by either token replica exactly once, whichever analytics replica is asked', async () => {
    if (!cluster) {
      console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the scale-out run');
      return;
    }
    const from = new Date(Date.now() - 60_000).toISOString();
    let ok = 0;
    let failed = 0;
    const until = Date.now() + 4000;
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        while (Date.now() < until) {
          const response = await http(tokenUrls[worker % 2], {
            method: 'POST',
            headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials',
          });
          if (response.status === 200) ok += 1;
          else failed += 1;
        }
      }),
    );
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(100);

    const minted = async (baseUrl: string) => {
      const summary = await http(`${baseUrl}/api/analytics/v1/summary?from=${encodeURIComponent(from)}`, {
        headers: { Authorization: cluster!.adminAuthorization() },
      });
      return summary.json<{ minted: Record<string, number> }>().minted.client_credentials;
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await minted(analyticsUrls[0])) < ok) await new Promise((resolve) => setTimeout(resolve, 300));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await minted(analyticsUrls[0])).toBe(ok);
    expect(await minted(analyticsUrls[1])).toBe(ok);
  }, 120_000);
});
