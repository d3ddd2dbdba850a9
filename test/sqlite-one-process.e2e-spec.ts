import { startTestCluster, TestCluster } from './support/cluster';
import { http, HttpResult } from './support/http';
import { clientCredentialsApplication } from './support/registry';

/**
 * On SQLite one token-service process serves a store: the single-use JWT ids (client assertions, DPoP proofs), the
 * client authentication failure counts and token reuse's single-flight live in its memory, so a second process on
 * the same DATA_DIR would accept each replayed assertion or proof once more, allow twice the guesses, and mint
 * twice in a reuse burst. Such a process is refused at start, and the lock goes with the process that held it,
 * however it ended.
 */
describe('a SQLite token (or registry) store serves one process', () => {
  let cluster: TestCluster;
  let authorization: string;

  const tokenRequest = (baseUrl: string): Promise<HttpResult> =>
    http(`${baseUrl}/token`, { method: 'POST', headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const introspect = (baseUrl: string, token: string): Promise<HttpResult> =>
    http(`${baseUrl}/introspect`, { method: 'POST', headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'] });
    authorization = await clientCredentialsApplication(cluster, { name: 'one-process', tokenType: 'OAUTH' });
  });
  afterAll(() => cluster?.stop());

  it('refuses a second token service on the same DATA_DIR, and the first one keeps serving', async () => {
    await expect(cluster.addReplica('token-service')).rejects.toThrow(/another process has the store .*token\.sqlite open/);
    expect((await tokenRequest(cluster.url('token-service'))).status).toBe(200);
  });

  it('refuses a second registry on the same DATA_DIR too (its sign-in failure counts are in its memory)', async () => {
    await expect(cluster.addReplica('application-registry')).rejects.toThrow(/another process has the store .*registry\.sqlite open/);
    expect((await http(cluster.url('application-registry', '/health/ready'))).status).toBe(200);
  });

  it('lets a new process take the store once the one that held it is killed (kill -9 leaves no stale lock)', async () => {
    const before = await tokenRequest(cluster.url('token-service'));
    expect(before.status).toBe(200);
    await cluster.service('token-service').stop('SIGKILL');

    const successor = await cluster.addReplica('token-service');
    expect((await tokenRequest(successor.baseUrl)).status).toBe(200);
    // The same store: a token of the killed process is known to its successor.
    expect((await introspect(successor.baseUrl, before.json<{ access_token: string }>().access_token)).json()).toMatchObject({ active: true });
  });
});
