import { startTestCluster, TestCluster } from './support/cluster';
import { http } from './support/http';

/**
 * Who may read /metrics (docs/operations.md, "Who may read /metrics"): its counters by failure reason would tell
 * anyone which consumer keys exist. On the plain-HTTP port (loopback by default) it answers; on the HTTPS port
 * only with `Authorization: Bearer <METRICS_TOKEN>`, and not at all when METRICS_TOKEN is unset.
 */
describe('who may read /metrics', () => {
  const METRICS_TOKEN = 'prometheus-scrapes-with-this-token-0123456789';
  let withoutToken: TestCluster;
  let withToken: TestCluster;
  const https = (cluster: TestCluster) => `https://127.0.0.1:${cluster.httpsPort('token-service')}/metrics`;

  beforeAll(async () => {
    [withoutToken, withToken] = await Promise.all([
      startTestCluster({ services: ['application-registry', 'token-service'] }),
      startTestCluster({ services: ['application-registry', 'token-service'], env: { METRICS_TOKEN } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withoutToken?.stop(), withToken?.stop()]);
  });

  it('answers on the plain-HTTP port', async () => {
    const answer = await http(withoutToken.url('token-service', '/metrics'));
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('keymint_client_authentication_failures_total');
  });

  it('is not there on the HTTPS port without METRICS_TOKEN, whatever the caller sends', async () => {
    for (const headers of [{}, { Authorization: `Bearer ${METRICS_TOKEN}` }] as Array<Record<string, string>>) {
      const answer = await http(https(withoutToken), { headers });
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('keymint_');
    }
  });

  it('answers on the HTTPS port to the bearer of METRICS_TOKEN only', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${METRICS_TOKEN}x`, `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`]) {
      const answer = await http(https(withToken), { headers: authorization ? { Authorization: authorization } : {} });
      expect(answer.status).toBe(401);
      expect(answer.body).not.toContain('keymint_');
    }
    const answer = await http(https(withToken), { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('keymint_client_authentication_failures_total');
  });
});
