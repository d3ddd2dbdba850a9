import { connect } from 'node:net';
import { waitFor } from '../scripts/lib/ports';
import { startTestCluster, TestCluster } from './support/cluster';
import { http } from './support/http';
import { clientCredentialsApplication } from './support/registry';
import { tokenLoad } from './support/token-load';

/**
 * SIGTERM under load (a rolling restart's step): the token service stops taking connections, answers every
 * request it has (a request on an open keep-alive connection is served, with Connection: close), and only then
 * closes NATS and its store. Clients see 200s, then refused connections (which the client retry policy sends to
 * another replica, docs/operations.md), and never a 503 or a connection reset mid-request.
 */
describe('graceful shutdown under load', () => {
  let cluster: TestCluster;
  let authorization: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'], env: { JWT_ALG: 'ES256' } });
    authorization = await clientCredentialsApplication(cluster, { name: 'graceful', tokenType: 'JWT' });
  });
  afterAll(() => cluster?.stop());

  it('answers every request it accepted, then refuses connections', async () => {
    const { seen, stop } = tokenLoad(cluster.url('token-service', '/token'), authorization);
    await waitFor(async () => (seen['HTTP 200'] ?? 0) >= 100, 30_000, 'a hundred tokens', 50);
    await cluster.service('token-service').stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stop();

    console.log(`during SIGTERM: ${JSON.stringify(seen)}`);
    expect(seen['HTTP 200']).toBeGreaterThan(100);
    expect(seen.ECONNREFUSED).toBeGreaterThan(0);
    expect(Object.keys(seen).sort()).toEqual(['ECONNREFUSED', 'HTTP 200']);
  });
});

/**
 * A client that never finishes its request (a body trickled a byte a second, within every timeout) must not keep a
 * stopping service from stopping: its connection is cut a few seconds after SIGTERM, so the outbox is published
 * and NATS drained before the orchestrator's kill -9.
 */
describe('graceful shutdown with a client that never finishes its request', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'] });
  });
  afterAll(() => cluster?.stop());

  it('stops within seconds, cutting that connection', async () => {
    const socket = connect(Number(new URL(cluster.url('token-service')).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=');
    const trickle = setInterval(() => socket.write('x'), 1000);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      // stop() waits up to 15 s for the exit, then kills -9: the exit must come well before.
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      cluster.service('token-service').onExit((code, signal) => (exit = { code, signal }));
      await cluster.service('token-service').stop('SIGTERM', 20_000);
      expect(Date.now() - started).toBeLessThan(12_000);
      // Stopped by itself (its own exit, or the SIGTERM it raises again once closed), not killed.
      expect([{ code: 0, signal: null }, { code: null, signal: 'SIGTERM' }]).toContainEqual(exit);
      await closed;
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  }, 60_000);
});
