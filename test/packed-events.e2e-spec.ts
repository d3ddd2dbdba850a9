import { waitFor } from '../scripts/lib/ports';
import { startTestCluster, TestCluster } from './support/cluster';
import { http } from './support/http';
import { clientCredentialsApplication } from './support/registry';
import { postgresTestDatabase, TestDatabase } from './support/postgres';
import { tokenStreamMessages } from './support/token-stream';

/**
 * EVENTS_PER_MESSAGE on the whole cluster, in renew mode (two events per
 * token): concurrent token responses' events travel several to a message as a
 * JSON array, never more than the setting, each event once on the stream;
 * analytics counts every token once, and the renew rule still leaves one
 * token active. On PostgreSQL the revocations' events are made in SQL by the
 * statement that revokes (token-writer.ts): the same checks hold there, and
 * every superseded token has its revocation, in the request that superseded it.
 */
const PER_MESSAGE = 8;
const BURSTS = 3;
const BURST_SIZE = 30;

describe.each(['SQLite', 'PostgreSQL'] as const)('several events per NATS message (EVENTS_PER_MESSAGE) on %s', (store) => {
  let cluster: TestCluster;
  let started = false;
  let database: TestDatabase | null = null;
  let authorization: string;

  beforeAll(async () => {
    if (store === 'PostgreSQL') {
      database = await postgresTestDatabase();
      if (!database) return;
    }
    cluster = await startTestCluster({ env: { TOKEN_RENEW_PER_REQUEST: 'true', EVENTS_PER_MESSAGE: String(PER_MESSAGE) }, dbUrl: database?.url });
    authorization = await clientCredentialsApplication(cluster, { name: 'packed', tokenType: 'OAUTH' });
    started = true;
  });

  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  it('packs concurrent token events into arrays of at most the setting, each event once, and counts each token once', async () => {
    if (!started) return;
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

    // What a consumer of the TOKENS stream receives, once everything is there, and a second later:
    // anything published late (a duplicate) would show then.
    const streamedEvents = async () => (await tokenStreamMessages(cluster)).reduce((count, message) => count + message.events.length, 0);
    await waitFor(async () => (await streamedEvents()) >= 2 * tokens.length - 1, 15_000, 'every event in the stream', 200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const messages = await tokenStreamMessages(cluster);
    const events = (subject: string) => messages.filter((message) => message.subject === subject).flatMap((message) => message.events);
    const sizes = messages.map((message) => message.events.length);
    const issued = events('tokens.issued.v1');
    const revoked = events('tokens.revoked.v1');
    expect(issued).toHaveLength(tokens.length);
    // Every token but the last supersedes its predecessor (the first had none).
    expect(revoked).toHaveLength(tokens.length - 1);
    expect(revoked.every((event) => event.reason === 'renewed')).toBe(true);
    // Each a token issued here, each once.
    const issuedIds = new Set(issued.map((event) => event.tokenId));
    expect(new Set(revoked.map((event) => event.tokenId)).size).toBe(tokens.length - 1);
    expect(revoked.every((event) => issuedIds.has(event.tokenId))).toBe(true);
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
