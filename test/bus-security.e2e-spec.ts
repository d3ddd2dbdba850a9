import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy, headers, JSONCodec, Msg, NatsConnection, nkeys } from 'nats';
import { BusUser, durableName, TOKENS_STREAM } from '@keymint/contracts';
import { natsConnectionOptions } from '@keymint/messaging';
import { RegistryApi } from '../bench/keymint-api';
import { plainConnectionAs } from './support/bus';
import { startTestCluster, TestCluster } from './support/cluster';
import { tokenStreamMessages } from './support/token-stream';
import { waitFor } from '../scripts/lib/ports';
import { basicAuth, http } from './support/http';

/**
 * The bus, attacked by someone who reaches NATS: without credentials, with a
 * key of their own, or with one service's credentials (a compromised
 * analytics, say). Each attack is tried for real against a cluster on the
 * bus `npm start` builds, and judged by what users see: secrets not read,
 * tokens not minted for clients that do not exist, Bearer strings not made
 * admins, tokens not revoked, statistics not poisoned.
 */
const codec = JSONCodec<Record<string, unknown>>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Attacker {
  connection: NatsConnection;
  /** "publish tokens.issued.v1", "subscription >": what the server refused, as it reported it. */
  refused: string[];
  /** Everything its subscriptions received. */
  received: Msg[];
}

describe('the NATS bus, attacked', () => {
  let cluster: TestCluster;
  let registry: RegistryApi;
  let key: { consumerKey: string; consumerSecret: string; applicationId: string };
  const attackers: NatsConnection[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication('Bus attack target', 'OAUTH');
    const keys = await registry.generateKeys(applicationId, ['client_credentials', 'password']);
    key = { ...keys, applicationId };
    await registry.createUser('carol', 'Carol-password-1');
  }, 120_000);

  afterAll(async () => {
    for (const connection of attackers) await connection.close().catch(() => undefined);
    await cluster?.stop();
  });

  async function attackerAs(user: BusUser): Promise<Attacker> {
    const connection = await plainConnectionAs(cluster, user, `attacker-as-${user}`);
    attackers.push(connection);
    const attacker: Attacker = { connection, refused: [], received: [] };
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'error' && status.permissionContext) {
          attacker.refused.push(`${status.permissionContext.operation} ${status.permissionContext.subject}`);
        }
      }
    })();
    return attacker;
  }

  function listen(attacker: Attacker, subject: string): void {
    attacker.connection.subscribe(subject, { callback: (error, message) => !error && attacker.received.push(message) });
  }

  const token = (body: string, authorization = basicAuth(key.consumerKey, key.consumerSecret)) =>
    http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization },
      body,
    });
  const introspect = async (accessToken: string) =>
    (
      await http(cluster.url('token-service', '/introspect'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basicAuth(key.consumerKey, key.consumerSecret) },
        body: `token=${encodeURIComponent(accessToken)}`,
      })
    ).json<{ active: boolean }>();

  it('refuses a connection without credentials, and one with a key it does not know', async () => {
    await expect(connect({ servers: cluster.nats.url, reconnect: false })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    const stranger = join(cluster.dataDir, 'stranger.nk');
    writeFileSync(stranger, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await expect(
      connect({ ...natsConnectionOptions({ url: cluster.nats.url, user: 'analytics', nkeySeedFile: stranger }, 'stranger'), waitOnFirstConnect: false, reconnect: false }),
    ).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  it("reads no password and no consumer secret with a service's credentials: the RPC requests and everyone's replies are closed to it", async () => {
    const analytics = await attackerAs('analytics');
    for (const subject of ['registry.rpc.user.authenticate.v1', 'registry.rpc.client.get.v1', 'tokens.rpc.issue.v2', '>', '_INBOX.>', '_INBOX.token-service.>']) {
      listen(analytics, subject);
    }
    await analytics.connection.flush();
    // A password grant (the password crosses to the registry), and the devportal's generate-token (the secret is checked there).
    expect((await token('grant_type=password&username=carol&password=Carol-password-1')).status).toBe(200);
    const generated = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${key.applicationId}/oauth-keys/${await keyMappingId()}/generate-token`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: cluster.adminAuthorization() },
      body: JSON.stringify({ consumerSecret: key.consumerSecret }),
    });
    expect(generated.status).toBe(200);
    await sleep(300);
    expect(analytics.received.map((message) => message.subject)).toEqual([]);
    expect(analytics.refused.sort()).toEqual(
      ['subscription registry.rpc.user.authenticate.v1', 'subscription registry.rpc.client.get.v1', 'subscription tokens.rpc.issue.v2', 'subscription >', 'subscription _INBOX.>', 'subscription _INBOX.token-service.>'].sort(),
    );
  });

  it("cannot mint a token for a client that does not exist by answering the registry's client lookup", async () => {
    const tokenService = await attackerAs('token-service');
    const analytics = await attackerAs('analytics');
    const inventedSecret = 'attacker-chosen-secret';
    // Both try to answer registry.rpc.client.get.v1 with a client record of their own making.
    for (const attacker of [tokenService, analytics]) {
      attacker.connection.subscribe('registry.rpc.client.get.v1', {
        callback: (error, message) => {
          if (error) return;
          const request = codec.decode(message.data) as { id: string; data: { consumerKey: string } };
          message.respond(
            codec.encode({
              id: request.id,
              isDisposed: true,
              response: {
                consumerKey: request.data.consumerKey,
                secrets: [{ secretId: randomUUID(), hash: createHash('sha256').update(inventedSecret).digest('hex'), expiresAt: null }],
                keyMappingId: randomUUID(),
                keyType: 'PRODUCTION',
                keyState: 'ACTIVE',
                grantTypes: ['client_credentials'],
                scopes: [],
                validityTime: 3600,
                applicationId: randomUUID(),
                applicationName: 'forged',
                owner: 'admin',
                tokenType: 'OAUTH',
                tokenEndpointAuthMethods: ['client_secret_basic'],
                jwks: null,
                resources: [],
              },
            }),
          );
        },
      });
      await attacker.connection.flush();
    }
    const forged = await token('grant_type=client_credentials', basicAuth(`invented-${randomUUID()}`, inventedSecret));
    expect(forged.status).toBe(401);
    expect(forged.json()).toMatchObject({ error: 'invalid_client' });
    expect(tokenService.refused).toEqual(['subscription registry.rpc.client.get.v1']);
    expect(analytics.refused).toEqual(['subscription registry.rpc.client.get.v1']);
  });

  it('cannot make a Bearer string a registry admin by answering introspection: the token service alone answers it', async () => {
    const registryUser = await attackerAs('application-registry');
    const analytics = await attackerAs('analytics');
    for (const attacker of [registryUser, analytics]) {
      attacker.connection.subscribe('tokens.rpc.introspect.v1', {
        callback: (error, message) => {
          if (error) return;
          const request = codec.decode(message.data) as { id: string };
          const now = Math.floor(Date.now() / 1000);
          message.respond(
            codec.encode({
              id: request.id,
              isDisposed: true,
              response: { active: true, scope: 'apim:admin default', username: 'admin', client_id: 'x', token_type: 'Bearer', exp: now + 3600, iat: now, nbf: now, sub: 'admin', aud: 'x', iss: 'x', jti: 'x' },
            }),
          );
        },
      });
      await attacker.connection.flush();
    }
    const asAdmin = await http(cluster.url('application-registry', '/api/am/admin/v2/users'), { headers: { Authorization: 'Bearer not-a-token' } });
    expect(asAdmin.status).toBe(401);
    expect(registryUser.refused).toEqual(['subscription tokens.rpc.introspect.v1']);
    expect(analytics.refused).toEqual(['subscription tokens.rpc.introspect.v1']);
  });

  it("cannot forge events: a forged secret-regenerated revokes nothing, forged token events are not counted, and the RPCs it may not call stay shut", async () => {
    const analytics = await attackerAs('analytics');
    const issued = await token('grant_type=client_credentials');
    expect(issued.status).toBe(200);
    const accessToken = issued.json<{ access_token: string }>().access_token;

    const eventId = randomUUID();
    const forgedRevocation = { eventId, occurredAt: new Date().toISOString(), applicationId: key.applicationId, keyMappingId: randomUUID(), consumerKey: key.consumerKey, keyType: 'PRODUCTION' };
    analytics.connection.publish('registry.keys.secret-regenerated.v1', codec.encode(forgedRevocation), { headers: msgId(eventId) });
    const forgedIssue = { eventId: randomUUID(), occurredAt: new Date().toISOString(), tokenId: randomUUID(), applicationId: key.applicationId, consumerKey: key.consumerKey, keyType: 'PRODUCTION', grantType: 'password', username: 'ghost', scopes: [], tokenType: 'OAUTH', issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(), reused: false };
    analytics.connection.publish('tokens.issued.v1', codec.encode(forgedIssue));
    await expect(analytics.connection.request('tokens.rpc.issue.v2', codec.encode({ id: '1', pattern: 'tokens.rpc.issue.v2', data: { consumerKey: key.consumerKey } }), { timeout: 2000 })).rejects.toMatchObject({
      code: 'PERMISSIONS_VIOLATION',
    });
    await analytics.connection.flush();
    await sleep(1000);

    expect(analytics.refused).toEqual(['publish registry.keys.secret-regenerated.v1', 'publish tokens.issued.v1', 'publish tokens.rpc.issue.v2']);
    expect(await introspect(accessToken)).toMatchObject({ active: true });
    expect((await token('grant_type=client_credentials')).status).toBe(200);
    // The forged event is not in the stream (JetStream would have stored it on publish); once analytics has counted
    // carol's password grant, "ghost" is not among the application's users either.
    const stored = (await tokenStreamMessages(cluster)).flatMap((message) => message.events);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.filter((event) => event.eventId === forgedIssue.eventId || event.username === 'ghost')).toEqual([]);
    const usersUrl = cluster.url('analytics', `/api/analytics/v1/applications/${key.applicationId}/users`);
    let users = '';
    await waitFor(async () => (users = (await http(usersUrl, { headers: { Authorization: cluster.adminAuthorization() } })).body).includes('carol'), 10_000, 'analytics to count carol');
    expect(users).not.toContain('ghost');
  });

  it("cannot turn a service's answer into a JetStream command by choosing the reply subject", async () => {
    expect((await token('grant_type=client_credentials')).status).toBe(200);
    const analytics = await attackerAs('analytics');
    const stored = async () => (await tokenStreamMessages(cluster)).length;
    await waitFor(async () => (await stored()) > 0, 10_000, 'a token event in the stream');
    const before = await stored();
    // The registry (authenticate) and the token service (introspect) would answer into a purge request.
    const request = (subject: string) => codec.encode({ id: 'x', pattern: subject, data: { username: 'carol', password: 'x', token: 'x' } });
    analytics.connection.publish('registry.rpc.user.authenticate.v1', request('registry.rpc.user.authenticate.v1'), { reply: '$JS.API.STREAM.PURGE.TOKENS' });
    analytics.connection.publish('tokens.rpc.introspect.v1', request('tokens.rpc.introspect.v1'), { reply: '$JS.API.STREAM.PURGE.REGISTRY' });
    analytics.connection.publish('tokens.rpc.introspect.v1', request('tokens.rpc.introspect.v1'), { reply: 'registry.keys.secret-regenerated.v1' });
    await analytics.connection.flush();
    await sleep(1000);
    expect(await stored()).toBe(before);
    const reader = await plainConnectionAs(cluster, 'reader', 'bus-attack-reply-check');
    attackers.push(reader);
    const registryStream = (await (await reader.jetstreamManager()).streams.info('REGISTRY')).state;
    expect(registryStream.messages).toBeGreaterThan(0);
    expect(registryStream.first_seq).toBe(1);
  });

  it("cannot pull another service's consumer through an acknowledgement subject", async () => {
    const analytics = await attackerAs('analytics');
    const stolen: Msg[] = [];
    analytics.connection.subscribe('_INBOX.analytics.steal', { callback: (error, message) => !error && stolen.push(message) });
    // The server listens on $JS.ACK.<stream>.<consumer>.*.*.*.*.*; this subject is the token service's consumer's.
    analytics.connection.publish('$JS.ACK.REGISTRY.token-service-registry.REGISTRY.analytics-registry.1.1.1', new TextEncoder().encode('+NXT {"batch":10}'), {
      reply: '_INBOX.analytics.steal',
    });
    await analytics.connection.flush();
    await sleep(500);
    expect(analytics.refused).toEqual(['publish $JS.ACK.REGISTRY.token-service-registry.REGISTRY.analytics-registry.1.1.1']);
    expect(stolen).toEqual([]);
  });

  it('lets the read-only user consume TOKENS through its own consumer, and nothing else', async () => {
    expect((await token('grant_type=client_credentials')).status).toBe(200);
    const reader: Attacker = { ...(await attackerAs('reader')) };
    const manager = await reader.connection.jetstreamManager();
    const durable = durableName('reader', TOKENS_STREAM);
    await manager.consumers.add(TOKENS_STREAM.name, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const consumer = await reader.connection.jetstream().consumers.get(TOKENS_STREAM.name, durable);
    const first = await consumer.next({ expires: 5000 });
    expect(first?.subject).toMatch(/^tokens\.(issued|revoked)\.v1$/);
    first!.ack();

    const stored = (await manager.streams.info(TOKENS_STREAM.name)).state.messages;
    const attempts = [
      'tokens.issued.v1',
      'registry.keys.revoked.v1',
      'tokens.rpc.introspect.v1',
      '$JS.API.STREAM.DELETE.TOKENS',
      '$JS.API.STREAM.PURGE.TOKENS',
      '$JS.API.STREAM.UPDATE.TOKENS',
      '$JS.API.CONSUMER.DELETE.TOKENS.analytics-tokens',
      '$JS.API.CONSUMER.CREATE.TOKENS.analytics-tokens',
      '$JS.API.CONSUMER.MSG.NEXT.TOKENS.analytics-tokens',
    ];
    for (const subject of attempts) reader.connection.publish(subject, codec.encode({}));
    listen(reader, '>');
    listen(reader, 'tokens.issued.v1');
    await reader.connection.flush();
    await sleep(300);
    expect(reader.refused).toEqual([...attempts.map((subject) => `publish ${subject}`), 'subscription >', 'subscription tokens.issued.v1']);
    expect(reader.received.map((message) => message.subject)).toEqual([]);
    expect((await manager.streams.info(TOKENS_STREAM.name)).state.messages).toBe(stored);
    await manager.consumers.delete(TOKENS_STREAM.name, durable);
  });

  async function keyMappingId(): Promise<string> {
    const keys = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${key.applicationId}/oauth-keys`), {
      headers: { Authorization: cluster.adminAuthorization() },
    });
    return keys.json<{ list: Array<{ keyMappingId: string; consumerKey: string }> }>().list.find((item) => item.consumerKey === key.consumerKey)!.keyMappingId;
  }
});

function msgId(id: string) {
  const result = headers();
  result.set('Nats-Msg-Id', id);
  return result;
}
