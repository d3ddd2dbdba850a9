import { AckPolicy, connect, DeliverPolicy, NatsConnection } from 'nats';
import { startTestCluster, TestCluster } from './support/cluster';
import { http } from './support/http';
import { clientCredentialsApplication } from './support/registry';

/**
 * EVENTS_PER_MESSAGE on the whole cluster, in renew mode (two events per
 * token): concurrent token responses' events travel several to a message as a
 * JSON array, never more than the setting, each event once on the stream;
 * analytics counts every token once, and the renew rule still leaves one
 * token active.
 */
const PER_MESSAGE = 8;
const BURSTS = 3;
const BURST_SIZE = 30;

interface Event {
  eventId: string;
  tokenId: string | null;
  reason?: string;
}

describe('several events per NATS message (EVENTS_PER_MESSAGE)', () => {
  let cluster: TestCluster;
  let nats: NatsConnection;
  let authorization: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ env: { TOKEN_RENEW_PER_REQUEST: 'true', EVENTS_PER_MESSAGE: String(PER_MESSAGE) } });
    nats = await connect({ servers: cluster.nats.url });
    authorization = await clientCredentialsApplication(cluster, { name: 'packed', tokenType: 'OAUTH' });
  });

  afterAll(async () => {
    await nats?.close();
    await cluster?.stop();
  });

  it('packs concurrent token events into arrays of at most the setting, each event once, and counts each token once', async () => {
    const startedAt = new Date(Date.now() - 60_000).toISOString();
    const tokens: string[] = [];
    for (let burst = 0; burst < BURSTS; burst += 1) {
      const replies = await Promise.all(
        Array.from({ length: BURST_SIZE }, () =>
          http(cluster.url('token-service', '/token'), {
            method: 'POST',
            headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials',
          }),
        ),
      );
      expect(replies.map((reply) => reply.status)).toEqual(Array(BURST_SIZE).fill(200));
      tokens.push(...replies.map((reply) => reply.json<{ access_token: string }>().access_token));
    }

    // What a consumer of the TOKENS stream receives.
    const manager = await nats.jetstreamManager();
    await manager.consumers.add('TOKENS', { durable_name: 'packed-check', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const consumer = await nats.jetstream().consumers.get('TOKENS', 'packed-check');
    const events: Record<string, Event[]> = { 'tokens.issued.v1': [], 'tokens.revoked.v1': [] };
    const sizes: number[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && events['tokens.issued.v1'].length + events['tokens.revoked.v1'].length < 2 * tokens.length - 1) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
      for await (const message of batch) {
        const body = JSON.parse(Buffer.from(message.data).toString('utf8')) as Event | Event[];
        const carried = Array.isArray(body) ? body : [body];
        sizes.push(carried.length);
        events[message.subject].push(...carried);
      }
    }
    // Anything published late (a duplicate) would show here.
    for await (const message of await consumer.fetch({ max_messages: 500, expires: 1000 })) {
      const body = JSON.parse(Buffer.from(message.data).toString('utf8')) as Event | Event[];
      events[message.subject].push(...[body].flat());
    }
    const issued = events['tokens.issued.v1'];
    const revoked = events['tokens.revoked.v1'];
    expect(issued).toHaveLength(tokens.length);
    // Every token but the last supersedes its predecessor (the first had none).
    expect(revoked).toHaveLength(tokens.length - 1);
    expect(revoked.every((event) => event.reason === 'renewed')).toBe(true);
    const ids = [...issued, ...revoked].map((event) => event.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(issued.map((event) => event.tokenId)).size).toBe(tokens.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PER_MESSAGE);
    // Concurrent requests share a group commit, so their events share messages.
    expect(sizes.length).toBeLessThan(ids.length / 2);

    // Analytics counts each token once.
    const admin = cluster.adminAuthorization();
    let minted = -1;
    const countDeadline = Date.now() + 20_000;
    while (Date.now() < countDeadline && minted < tokens.length) {
      const summary = await http(cluster.url('analytics', `/api/analytics/v1/summary?from=${encodeURIComponent(startedAt)}`), { headers: { Authorization: admin } });
      if (summary.status === 200) minted = summary.json<{ minted: Record<string, number> }>().minted.client_credentials ?? 0;
      if (minted < tokens.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(minted).toBe(tokens.length);

    // Renew mode behaves as if the requests had come one after another: one token stays active.
    const states = await Promise.all(
      tokens.map(async (token) => {
        const reply = await http(cluster.url('token-service', '/oauth2/introspect'), {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `token=${encodeURIComponent(token)}`,
        });
        return reply.json<{ active: boolean }>().active;
      }),
    );
    expect(states.filter(Boolean)).toHaveLength(1);
  }, 60_000);
});
