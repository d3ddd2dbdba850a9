import { join } from 'node:path';
import { ServiceName, SERVICE_NAMES } from '@keymint/config';
import { waitFor } from '../scripts/lib/ports';
import { startTestCluster, TestCluster } from './support/cluster';
import { http, HttpResult } from './support/http';
import { postgresTestCluster } from './support/postgres';
import { clientCredentialsApplication } from './support/registry';

/**
 * The probes of docs/operations.md ("Probes"), against real services: liveness never depends on NATS or the
 * database, readiness follows what each service needs for its main job (its database, not NATS), and turns DOWN
 * first when the service is told to stop.
 */
interface ProbeAnswer {
  status: 'UP' | 'DOWN';
  checks: Array<{ name: string; status: 'UP' | 'DOWN' }>;
}

const probe = async (url: string): Promise<{ status: number; body: ProbeAnswer }> => {
  const response = await http(url);
  return { status: response.status, body: response.json<ProbeAnswer>() };
};

const tokenRequest = (url: string, authorization: string): Promise<HttpResult> =>
  http(url, { method: 'POST', headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });

describe('probes on SQLite', () => {
  let cluster: TestCluster;
  let authorization: string;

  beforeAll(async () => {
    cluster = await startTestCluster();
    authorization = await clientCredentialsApplication(cluster, { name: 'probed', tokenType: 'JWT' });
  });
  afterAll(() => cluster?.stop());

  it.each(SERVICE_NAMES)('%s answers every probe UP once started, in the MicroProfile Health shape', async (name) => {
    expect(await probe(cluster.url(name, '/health/live'))).toEqual({ status: 200, body: { status: 'UP', checks: [] } });
    expect(await probe(cluster.url(name, '/health/started'))).toEqual({ status: 200, body: { status: 'UP', checks: [{ name: 'start-up', status: 'UP' }] } });
    expect(await probe(cluster.url(name, '/health/ready'))).toEqual({
      status: 200,
      body: {
        status: 'UP',
        checks: [
          { name: 'start-up', status: 'UP' },
          { name: 'database', status: 'UP' },
          { name: 'accepting-requests', status: 'UP' },
        ],
      },
    });
  });

  it('turns readiness DOWN at SIGTERM while the service still serves for SHUTDOWN_DELAY, then stops', async () => {
    // A second token service with a DATA_DIR of its own: on SQLite one process serves a store.
    const replica = await cluster.addReplica('token-service', { SHUTDOWN_DELAY: '3', DATA_DIR: join(cluster.dataDir, 'second-token-service') });
    expect((await tokenRequest(`${replica.baseUrl}/token`, authorization)).status).toBe(200);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => replica.onExit((code, signal) => resolve({ code, signal })));
    process.kill(replica.pid!, 'SIGTERM');

    await waitFor(async () => (await probe(`${replica.baseUrl}/health/ready`)).status === 503, 2000, 'readiness to turn DOWN');
    const ready = await probe(`${replica.baseUrl}/health/ready`);
    expect(ready.body.status).toBe('DOWN');
    expect(ready.body.checks).toContainEqual({ name: 'accepting-requests', status: 'DOWN' });
    // Still serving: a load balancer that has not polled yet loses no request.
    expect((await probe(`${replica.baseUrl}/health/live`)).status).toBe(200);
    expect((await tokenRequest(`${replica.baseUrl}/token`, authorization)).status).toBe(200);
    // A clean stop: exit code 0, or the signal itself once every handler is gone.
    const { code, signal } = await exited;
    expect([0, 'SIGTERM']).toContain(code ?? signal);
  });

  it('keeps the token service ready and issuing, and analytics ready and answering, while NATS is down; /health says 503', async () => {
    const admin = { Authorization: cluster.adminAuthorization() };
    const summaryUrl = cluster.url('analytics', '/api/analytics/v1/summary');
    // Signed in once: the registry's answer is cached for 30 s, the time this test needs without the bus.
    expect((await http(summaryUrl, { headers: admin })).status).toBe(200);
    expect((await tokenRequest(cluster.url('token-service', '/token'), authorization)).status).toBe(200);

    await cluster.nats.stop('SIGKILL');
    await waitFor(async () => (await http(cluster.url('token-service', '/health'))).status === 503, 10_000, 'the token service to see NATS down');

    for (const name of ['token-service', 'analytics', 'application-registry'] as ServiceName[]) {
      expect({ name, health: (await http(cluster.url(name, '/health'))).status }).toEqual({ name, health: 503 });
      expect({ name, live: (await probe(cluster.url(name, '/health/live'))).status }).toEqual({ name, live: 200 });
      expect({ name, ready: (await probe(cluster.url(name, '/health/ready'))).body.status }).toEqual({ name, ready: 'UP' });
    }
    const issued = await tokenRequest(cluster.url('token-service', '/token'), authorization);
    expect(issued.status).toBe(200);
    expect(issued.json()).toHaveProperty('access_token');
    expect((await http(summaryUrl, { headers: admin })).status).toBe(200);
  });
});

describe('probes on PostgreSQL', () => {
  const postgres = postgresTestCluster();

  it('takes every service out of readiness, alive, when its database is dropped', async () => {
    const { cluster, database } = postgres;
    if (!cluster || !database) {
      console.warn('PostgreSQL is not reachable (PG_URL or 127.0.0.1:5432): skipping the dropped-database run');
      return;
    }
    for (const name of SERVICE_NAMES) expect((await probe(cluster.url(name, '/health/ready'))).status).toBe(200);

    // DROP DATABASE … WITH (FORCE): the connections are ended and the database is gone for good.
    await database.drop();

    for (const name of SERVICE_NAMES) {
      await waitFor(async () => (await probe(cluster!.url(name, '/health/ready'))).status === 503, 10_000, `${name} readiness to turn DOWN`);
      const ready = await probe(cluster.url(name, '/health/ready'));
      expect({ name, checks: ready.body.checks }).toEqual({ name, checks: expect.arrayContaining([{ name: 'database', status: 'DOWN' }]) });
      expect({ name, live: (await probe(cluster.url(name, '/health/live'))).status }).toEqual({ name, live: 200 });
      expect({ name, started: (await probe(cluster.url(name, '/health/started'))).status }).toEqual({ name, started: 200 });
    }
  });
});
