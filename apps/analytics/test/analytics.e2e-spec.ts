import { randomUUID } from 'node:crypto';
import { durableName, EventSubject, GrantType, KeyType, REGISTRY_STREAM } from '@keymint/contracts';
import { NatsClient } from '@keymint/messaging';
import { connectAs, publisherOf } from '../../../test/support/bus';
import { waitFor } from '../../../scripts/lib/ports';
import { startTestCluster, TestCluster } from '../../../test/support/cluster';
import { postgresTestDatabase } from '../../../test/support/postgres';
import { queryStore } from '../../../test/support/store';
import { z } from 'zod/v4';
import { ApplicationUsersSchema, IssuanceSeriesSchema, RegisteredUsersSchema, SummarySchema, TopUsersSchema } from '../src/statistics/response-schemas';
import { FakePeers, startFakePeers } from './fake-peers';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const API = '/api/analytics/v1';

const APP_A = 'a0000000-0000-4000-8000-00000000000a';
const APP_B = 'b0000000-0000-4000-8000-00000000000b';
const APP_C = 'c0000000-0000-4000-8000-00000000000c';
const APP_D = 'd0000000-0000-4000-8000-00000000000d';
const NAME_A = 'Pizza Shack, "v2"';

/** Three hours ago on the hour, moved back so every event of the scenario falls on the same UTC day. */
function scenarioBase(now = Date.now()): number {
  let base = Math.floor(now / HOUR) * HOUR - 3 * HOUR;
  if (Math.floor(base / DAY) !== Math.floor((base + 2 * HOUR) / DAY)) base -= 2 * HOUR;
  return base;
}

interface Message {
  subject: EventSubject;
  body: string;
  msgID: string;
}

function event(subject: EventSubject, payload: Record<string, unknown>, at: number, eventId: string = randomUUID()): Message {
  return { subject, body: JSON.stringify({ ...payload, eventId, occurredAt: new Date(at).toISOString() }), msgID: eventId };
}

function issued(
  at: number,
  applicationId: string,
  grantType: GrantType,
  options: { username?: string; reused?: boolean; keyType?: KeyType; eventId?: string; clientAuthMethod?: string | null; cnf?: Record<string, string> } = {},
): Message {
  // null: an event of a token service from before the field (counted as `unknown`).
  const clientAuthMethod = options.clientAuthMethod === undefined ? 'client_secret_basic' : options.clientAuthMethod;
  return event(
    'tokens.issued.v1',
    {
      tokenId: randomUUID(),
      applicationId,
      consumerKey: `ck-${applicationId.slice(0, 4)}`,
      keyType: options.keyType ?? 'PRODUCTION',
      grantType,
      ...(options.username ? { username: options.username } : {}),
      scopes: ['default'],
      tokenType: 'OAUTH',
      issuedAt: new Date(at).toISOString(),
      expiresAt: new Date(at + HOUR).toISOString(),
      reused: options.reused ?? false,
      ...(clientAuthMethod === null ? {} : { clientAuthMethod }),
      ...(options.cnf ? { cnf: options.cnf } : {}),
    },
    at,
    options.eventId,
  );
}

function application(kind: 'created' | 'updated' | 'deleted', at: number, applicationId: string, name: string, owner: string): Message {
  return event(`registry.application.${kind}.v1`, { applicationId, name, owner, tokenType: 'OAUTH', throttlingPolicy: 'Unlimited' }, at);
}

/** Phase one by client authentication: A by secret in the header, B in the body, C by assertion, D from before the field. */
const METHODS_OF_PHASE_ONE = {
  client_secret_basic: { minted: 7, served: 8 },
  client_secret_post: { minted: 5, served: 5 },
  private_key_jwt: { minted: 3, served: 4 },
  tls_client_auth: { minted: 0, served: 0 },
  self_signed_tls_client_auth: { minted: 0, served: 0 },
  unknown: { minted: 1, served: 1 },
};
const DPOP_THUMBPRINT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const CERTIFICATE_THUMBPRINT = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2';
/** Phase one by binding: two of C's tokens (one handed out twice) bound to a DPoP key, one to a certificate. */
const BINDINGS_OF_PHASE_ONE = { bearer: { minted: 14, served: 15 }, dpop: { minted: 1, served: 2 }, mtls: { minted: 1, served: 1 } };

/**
 * The first half of the known mix: client credentials on four applications
 * (one unknown to the registry, one with a stray username), reused tokens,
 * password grants for three users on two applications, refreshes, a
 * duplicate eventId under two message ids, and two malformed messages.
 */
function phaseOne(base: number): Message[] {
  const at = (minutes: number) => base + minutes * MINUTE;
  const duplicate = issued(at(10), APP_A, 'password', { username: 'user2' });
  return [
    application('created', at(0), APP_A, 'Pizza Shack', 'alice'),
    application('created', at(0), APP_B, 'Weather', 'bob'),
    application('created', at(0), APP_C, 'CC Only', 'carol'),
    application('updated', at(1), APP_A, NAME_A, 'alice'),
    issued(at(5), APP_A, 'client_credentials'),
    issued(at(5), APP_A, 'client_credentials'),
    issued(at(5), APP_A, 'client_credentials', { reused: true }),
    issued(at(5), APP_A, 'password', { username: 'user1' }),
    issued(at(10), APP_A, 'password', { username: 'user1' }),
    duplicate,
    { ...duplicate, msgID: randomUUID() },
    { subject: 'tokens.issued.v1', body: '{not json', msgID: randomUUID() },
    issued(at(12), APP_A, 'implicit' as GrantType, { username: 'user9' }),
    issued(at(20), APP_B, 'password', { username: 'user1', keyType: 'SANDBOX', clientAuthMethod: 'client_secret_post' }),
    issued(at(20), APP_B, 'password', { username: 'user3', keyType: 'SANDBOX', clientAuthMethod: 'client_secret_post' }),
    issued(at(20), APP_B, 'client_credentials', { keyType: 'SANDBOX', clientAuthMethod: 'client_secret_post' }),
    issued(at(30), APP_C, 'client_credentials', { clientAuthMethod: 'private_key_jwt', cnf: { jkt: DPOP_THUMBPRINT } }),
    issued(at(30), APP_C, 'client_credentials', { clientAuthMethod: 'private_key_jwt', cnf: { 'x5t#S256': CERTIFICATE_THUMBPRINT } }),
    issued(at(30), APP_C, 'client_credentials', { reused: true, clientAuthMethod: 'private_key_jwt', cnf: { jkt: DPOP_THUMBPRINT } }),
    // A username on a client-credentials event must never make a registered user.
    issued(at(30), APP_C, 'client_credentials', { username: 'sneaky', clientAuthMethod: 'private_key_jwt' }),
    issued(at(30), APP_D, 'client_credentials', { clientAuthMethod: null }),
    issued(at(70), APP_A, 'password', { username: 'user1' }),
    issued(at(71), APP_A, 'refresh_token', { username: 'user1' }),
    issued(at(80), APP_B, 'password', { username: 'user3', keyType: 'SANDBOX', clientAuthMethod: 'client_secret_post' }),
    issued(at(81), APP_B, 'refresh_token', { username: 'user3', keyType: 'SANDBOX', clientAuthMethod: 'client_secret_post' }),
    application('deleted', at(90), APP_B, 'Weather', 'bob'),
  ];
}

/** Published as the service that owns each subject would: the only one the bus lets publish it. */
async function publishAll(publishers: Harness['publishers'], messages: Message[]): Promise<void> {
  for (const message of messages) {
    const ack = await publishers[publisherOf(message.subject) as keyof Harness['publishers']].jetStream.publish(message.subject, Buffer.from(message.body), { msgID: message.msgID });
    expect(ack.duplicate).toBe(false);
  }
}

interface Harness {
  cluster: TestCluster;
  /** The token service's and the registry's bus users, playing those services; their streams created. */
  publishers: Record<'token-service' | 'application-registry', NatsClient>;
  peers: FakePeers;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
}

async function startHarness(dbUrl?: string): Promise<Harness> {
  const cluster = await startTestCluster({ services: ['analytics'], dbUrl });
  const publishers = {
    'token-service': await connectAs(cluster, 'token-service', 'analytics-e2e-token-events'),
    'application-registry': await connectAs(cluster, 'application-registry', 'analytics-e2e-registry-events'),
  };
  const peers = await startFakePeers(
    cluster,
    {
      [cluster.admin.username]: { password: cluster.admin.password, roles: ['admin'] },
      auditor: { password: 'auditor-pass', roles: ['admin'] },
      sub1: { password: 'sub1-pass', roles: ['subscriber'] },
    },
    {
      'admin-token': { scope: 'apim:admin default', username: 'admin' },
      'subscriber-token': { scope: 'apim:subscribe', username: 'sub1' },
    },
  );
  const get: Harness['get'] = async (path, headers = { authorization: cluster.adminAuthorization() }) => {
    const response = await fetch(cluster.url('analytics', path), { headers });
    const text = await response.text();
    let body: unknown = undefined;
    if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
    return { status: response.status, body, text, headers: response.headers };
  };
  return { cluster, publishers, peers, get };
}

async function stopHarness(harness: Harness | undefined): Promise<void> {
  if (!harness) return;
  await harness.peers.close().catch(() => undefined);
  for (const publisher of Object.values(harness.publishers)) await publisher.close().catch(() => undefined);
  await harness.cluster.stop();
}

async function waitForServed(harness: Harness, query: string, expected: number): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const { status, body } = await harness.get(`${API}/summary?${query}`);
      if (status !== 200) return false;
      last = body;
      const served = body.served.client_credentials + body.served.password + body.served.refresh_token;
      return served === expected;
    },
    30_000,
    `analytics to serve ${expected} tokens (last: ${JSON.stringify(last)})`,
    200,
  );
}

/**
 * Until analytics has applied `expected` registry events: they come through a consumer of their own, so
 * tokens being counted says nothing about application names being known yet.
 */
async function waitForApplicationEvents(harness: Harness, expected: number): Promise<void> {
  const durable = durableName('analytics', REGISTRY_STREAM);
  await waitFor(
    async () => {
      const [row] = await queryStore(harness.cluster, 'analytics', `SELECT COUNT(*) AS "applied" FROM analytics_consumed_events WHERE "consumer" = '${durable}'`);
      return Number(row.applied) === expected;
    },
    30_000,
    `analytics to apply ${expected} registry events`,
    200,
  );
}

const iso = (time: number) => new Date(time).toISOString();

describe('analytics (SQLite)', () => {
  let harness: Harness;
  let base: number;
  let range: string;

  beforeAll(async () => {
    harness = await startHarness();
    base = scenarioBase();
    range = `from=${iso(base - HOUR)}&to=${iso(base + 3 * HOUR)}`;
    await publishAll(harness.publishers, phaseOne(base));
    await waitForServed(harness, range, 18);
    await waitForApplicationEvents(harness, 5);
  });

  afterAll(() => stopHarness(harness));

  it('summarises minted and served tokens per grant, reuse, registered users and applications', async () => {
    const expected = {
      minted: { client_credentials: 7, password: 7, refresh_token: 2 },
      served: { client_credentials: 9, password: 7, refresh_token: 2 },
      reused: 2,
      clientAuthMethods: METHODS_OF_PHASE_ONE,
      tokenBindings: BINDINGS_OF_PHASE_ONE,
      registeredUsers: 4,
      applications: 4,
    };
    const explicit = await harness.get(`${API}/summary?${range}`);
    expect(explicit.status).toBe(200);
    expect(explicit.body).toEqual({ from: iso(base - HOUR), to: iso(base + 3 * HOUR), ...expected });

    // The default range is the last 24 hours, which holds the whole scenario.
    const byDefault = await harness.get(`${API}/summary`);
    expect(byDefault.status).toBe(200);
    expect(byDefault.body).toMatchObject(expected);
    expect(Date.parse(byDefault.body.to) - Date.parse(byDefault.body.from)).toBe(DAY);

    // Only the second hour of the scenario: the user grants at +70..+81 minutes.
    const secondHour = await harness.get(`${API}/summary?from=${iso(base + HOUR)}&to=${iso(base + 2 * HOUR)}`);
    expect(secondHour.body).toMatchObject({
      minted: { client_credentials: 0, password: 2, refresh_token: 2 },
      served: { client_credentials: 0, password: 2, refresh_token: 2 },
      reused: 0,
      // Registered users are exact to the minute too: (A, user1) and (B, user3) only.
      registeredUsers: 2,
      applications: 2,
    });
    // Users active before and after a range count only if they had tokens inside it.
    const quietHalfHour = await harness.get(`${API}/summary?from=${iso(base + 30 * MINUTE)}&to=${iso(base + 60 * MINUTE)}`);
    expect(quietHalfHour.body).toMatchObject({
      minted: { client_credentials: 4, password: 0, refresh_token: 0 },
      served: { client_credentials: 5, password: 0, refresh_token: 0 },
      registeredUsers: 0,
      applications: 2,
    });
    const aroundUser1 = await harness.get(`${API}/applications/registered-users?from=${iso(base + 69 * MINUTE)}&to=${iso(base + 70 * MINUTE + 30_000)}`);
    expect(aroundUser1.body).toEqual({
      count: 3,
      list: [
        { applicationId: APP_A, applicationName: NAME_A, owner: 'alice', registeredUsers: 1 },
        { applicationId: APP_C, applicationName: 'CC Only', owner: 'carol', registeredUsers: 0 },
        { applicationId: APP_D, applicationName: null, owner: null, registeredUsers: 0 },
      ],
    });
    const registeredInSecondHour = await harness.get(`${API}/applications/registered-users?from=${iso(base + HOUR)}&to=${iso(base + 2 * HOUR)}`);
    expect(registeredInSecondHour.body.list.slice(0, 2)).toEqual([
      { applicationId: APP_A, applicationName: NAME_A, owner: 'alice', registeredUsers: 1 },
      { applicationId: APP_B, applicationName: 'Weather', owner: 'bob', registeredUsers: 1 },
    ]);
  });

  it('answers the token-issuance series with grants apart, filtered and at each granularity', async () => {
    const hourly = await harness.get(`${API}/token-issuance?${range}&granularity=hour`);
    expect(hourly.status).toBe(200);
    expect(hourly.body).toEqual({
      from: iso(base - HOUR),
      to: iso(base + 3 * HOUR),
      granularity: 'hour',
      count: 4,
      list: [
        { time: iso(base), grantType: 'client_credentials', minted: 7, served: 9 },
        { time: iso(base), grantType: 'password', minted: 5, served: 5 },
        { time: iso(base + HOUR), grantType: 'password', minted: 2, served: 2 },
        { time: iso(base + HOUR), grantType: 'refresh_token', minted: 2, served: 2 },
      ],
    });

    const minutesOfA = await harness.get(`${API}/token-issuance?${range}&granularity=minute&applicationId=${APP_A}`);
    expect(minutesOfA.body.list).toEqual([
      { time: iso(base + 5 * MINUTE), grantType: 'client_credentials', minted: 2, served: 3 },
      { time: iso(base + 5 * MINUTE), grantType: 'password', minted: 1, served: 1 },
      { time: iso(base + 10 * MINUTE), grantType: 'password', minted: 2, served: 2 },
      { time: iso(base + 70 * MINUTE), grantType: 'password', minted: 1, served: 1 },
      { time: iso(base + 71 * MINUTE), grantType: 'refresh_token', minted: 1, served: 1 },
    ]);

    const signedHourly = await harness.get(`${API}/token-issuance?${range}&granularity=hour&clientAuthMethod=private_key_jwt`);
    expect(signedHourly.body.list).toEqual([{ time: iso(base), grantType: 'client_credentials', minted: 3, served: 4 }]);
    const dpopHourly = await harness.get(`${API}/token-issuance?${range}&granularity=hour&tokenBinding=dpop`);
    expect(dpopHourly.body.list).toEqual([{ time: iso(base), grantType: 'client_credentials', minted: 1, served: 2 }]);
    const unrecorded = await harness.get(`${API}/token-issuance?${range}&granularity=hour&clientAuthMethod=unknown`);
    expect(unrecorded.body.list).toEqual([{ time: iso(base), grantType: 'client_credentials', minted: 1, served: 1 }]);

    const sandboxDaily = await harness.get(`${API}/token-issuance?${range}&granularity=day&keyType=SANDBOX`);
    const day = iso(Math.floor(base / DAY) * DAY);
    expect(sandboxDaily.body.list).toEqual([
      { time: day, grantType: 'client_credentials', minted: 1, served: 1 },
      { time: day, grantType: 'password', minted: 3, served: 3 },
      { time: day, grantType: 'refresh_token', minted: 1, served: 1 },
    ]);

    const passwordPage = await harness.get(`${API}/token-issuance?${range}&granularity=minute&grantType=password&limit=2&offset=1`);
    expect(passwordPage.body.count).toBe(5);
    expect(passwordPage.body.list).toEqual([
      { time: iso(base + 10 * MINUTE), grantType: 'password', minted: 2, served: 2 },
      { time: iso(base + 20 * MINUTE), grantType: 'password', minted: 2, served: 2 },
    ]);
  });

  it('counts registered users per application from password grants only, deleted and unknown applications included', async () => {
    const { status, body } = await harness.get(`${API}/applications/registered-users?${range}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      count: 4,
      list: [
        { applicationId: APP_A, applicationName: NAME_A, owner: 'alice', registeredUsers: 2 },
        { applicationId: APP_B, applicationName: 'Weather', owner: 'bob', registeredUsers: 2 },
        { applicationId: APP_C, applicationName: 'CC Only', owner: 'carol', registeredUsers: 0 },
        { applicationId: APP_D, applicationName: null, owner: null, registeredUsers: 0 },
      ],
    });
    const paged = await harness.get(`${API}/applications/registered-users?${range}&limit=1&offset=2`);
    expect(paged.body).toEqual({ count: 4, list: [{ applicationId: APP_C, applicationName: 'CC Only', owner: 'carol', registeredUsers: 0 }] });
  });

  it('lists the users of an application and the top users per application', async () => {
    const usersOfA = await harness.get(`${API}/applications/${APP_A}/users`);
    expect(usersOfA.status).toBe(200);
    expect(usersOfA.body).toEqual({
      count: 2,
      list: [
        { username: 'user1', tokenCount: 4, firstSeen: iso(base + 5 * MINUTE), lastSeen: iso(base + 71 * MINUTE) },
        { username: 'user2', tokenCount: 1, firstSeen: iso(base + 10 * MINUTE), lastSeen: iso(base + 10 * MINUTE) },
      ],
    });
    const usersOfB = await harness.get(`${API}/applications/${APP_B}/users?limit=1`);
    expect(usersOfB.body).toEqual({
      count: 2,
      list: [{ username: 'user3', tokenCount: 3, firstSeen: iso(base + 20 * MINUTE), lastSeen: iso(base + 81 * MINUTE) }],
    });
    expect((await harness.get(`${API}/applications/${APP_C}/users`)).body).toEqual({ count: 0, list: [] });
    const unknown = await harness.get(`${API}/applications/no-such-app/users`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 404, message: 'Not Found' });

    const top = await harness.get(`${API}/top-users?limit=1`);
    expect(top.body).toEqual({
      count: 2,
      list: [
        { applicationId: APP_A, applicationName: NAME_A, users: [{ username: 'user1', tokenCount: 4 }] },
        { applicationId: APP_B, applicationName: 'Weather', users: [{ username: 'user3', tokenCount: 3 }] },
      ],
    });
  });

  it('serves its OpenAPI document without credentials, and answers as the document says', async () => {
    const document = await harness.get(`${API}/openapi.json`, {});
    expect(document.status).toBe(200);
    expect(document.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: API }] });
    expect(Object.keys(document.body.paths).sort()).toEqual(
      ['/summary', '/token-issuance', '/applications/registered-users', '/applications/{applicationId}/users', '/top-users'].sort(),
    );
    const documented = (schema: z.ZodType, body: unknown) => expect(schema.parse(body)).toEqual(body);
    documented(SummarySchema, (await harness.get(`${API}/summary?${range}`)).body);
    documented(IssuanceSeriesSchema, (await harness.get(`${API}/token-issuance?${range}`)).body);
    documented(RegisteredUsersSchema, (await harness.get(`${API}/applications/registered-users?${range}`)).body);
    documented(ApplicationUsersSchema, (await harness.get(`${API}/applications/${APP_A}/users`)).body);
    documented(TopUsersSchema, (await harness.get(`${API}/top-users`)).body);
  });

  it('exports every list as RFC 4180 CSV on Accept: text/csv', async () => {
    const headers = { authorization: harness.cluster.adminAuthorization(), accept: 'text/csv' };
    const registered = await harness.get(`${API}/applications/registered-users?${range}`, headers);
    expect(registered.status).toBe(200);
    expect(registered.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(registered.text).toBe(
      'applicationId,applicationName,owner,registeredUsers\r\n' +
        `${APP_A},"Pizza Shack, ""v2""",alice,2\r\n` +
        `${APP_B},Weather,bob,2\r\n` +
        `${APP_C},CC Only,carol,0\r\n` +
        `${APP_D},,,0\r\n`,
    );
    const series = await harness.get(`${API}/token-issuance?${range}&granularity=hour&grantType=refresh_token`, headers);
    expect(series.text).toBe(`time,grantType,minted,served\r\n${iso(base + HOUR)},refresh_token,2,2\r\n`);
    const users = await harness.get(`${API}/applications/${APP_A}/users`, headers);
    expect(users.text).toBe(
      'username,tokenCount,firstSeen,lastSeen\r\n' +
        `user1,4,${iso(base + 5 * MINUTE)},${iso(base + 71 * MINUTE)}\r\n` +
        `user2,1,${iso(base + 10 * MINUTE)},${iso(base + 10 * MINUTE)}\r\n`,
    );
    const top = await harness.get(`${API}/top-users?limit=1`, headers);
    expect(top.text).toBe(`applicationId,applicationName,username,tokenCount\r\n${APP_A},"Pizza Shack, ""v2""",user1,4\r\n${APP_B},Weather,user3,3\r\n`);
  });

  it('admits admins only: 401 without or with bad credentials, 403 for subscribers, Bearer apim:admin accepted', async () => {
    const none = await harness.get(`${API}/summary`, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="keymint"');
    expect(none.body).toMatchObject({ code: 401, message: 'Unauthorized' });

    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    expect((await harness.get(`${API}/summary`, basic('sub1', 'wrong'))).status).toBe(401);
    const subscriber = await harness.get(`${API}/top-users`, basic('sub1', 'sub1-pass'));
    expect(subscriber.status).toBe(403);
    expect(subscriber.body).toMatchObject({ code: 403, message: 'Forbidden' });

    expect((await harness.get(`${API}/summary`, { authorization: 'Bearer admin-token' })).status).toBe(200);
    expect((await harness.get(`${API}/summary`, { authorization: 'Bearer subscriber-token' })).status).toBe(403);
    expect((await harness.get(`${API}/summary`, { authorization: 'Bearer revoked-token' })).status).toBe(401);

    // Successful Basic checks are cached: three calls, one RPC.
    const before = harness.peers.calls.authenticate;
    for (let call = 0; call < 3; call += 1) expect((await harness.get(`${API}/summary`, basic('auditor', 'auditor-pass'))).status).toBe(200);
    expect(harness.peers.calls.authenticate - before).toBe(1);
  });

  it.each([
    ['summary?from=yesterday', 'from'],
    ['summary?from=2026-02-30T00:00:00Z', 'from'],
    ['summary?to=2026-01-01T25:00:00Z', 'to'],
    ['summary?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['summary?from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z', 'from'],
    ['token-issuance?granularity=week', 'granularity'],
    ['token-issuance?grantType=implicit', 'grantType'],
    ['token-issuance?keyType=production', 'keyType'],
    ['token-issuance?clientAuthMethod=client_secret_jwt', 'clientAuthMethod'],
    ['token-issuance?tokenBinding=pop', 'tokenBinding'],
    ['applications/registered-users?limit=0', 'limit'],
    ['applications/registered-users?limit=1001', 'limit'],
    ['applications/registered-users?offset=-1', 'offset'],
    [`applications/${APP_A}/users?limit=ten`, 'limit'],
    ['top-users?limit=5000', 'limit'],
  ])('answers GET %s with 400 naming %s', async (path, parameter) => {
    const { status, body } = await harness.get(`${API}/${path}`);
    expect(status).toBe(400);
    expect(body).toEqual({ code: 400, message: 'Bad Request', description: expect.stringContaining(`'${parameter}'`) });
  });

  it('answers URLs the router rejects in the same error shape, never a 500', async () => {
    const badEncoding = await harness.get(`${API}/applications/%ZZ/users`);
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body).toEqual({ code: 400, message: 'Bad Request', description: 'The request URL is not valid.' });
    const tooLong = await harness.get(`${API}/applications/${'x'.repeat(3000)}/users`);
    expect(tooLong.status).toBe(414);
    expect(tooLong.body).toMatchObject({ code: 414 });
  });

  it('catches up exactly after a restart, without counting redelivered or republished events twice', async () => {
    await harness.cluster.service('analytics').stop();
    const at = (minutes: number) => base + minutes * MINUTE;
    const republished = issued(at(100), APP_A, 'password', { username: 'user4' });
    await publishAll(harness.publishers, [
      republished,
      issued(at(100), APP_A, 'client_credentials'),
      issued(at(101), APP_B, 'refresh_token', { username: 'user1', keyType: 'SANDBOX' }),
      { ...republished, msgID: randomUUID() },
    ]);
    harness.cluster.service('analytics').start();
    await harness.cluster.service('analytics').waitHealthy();
    await waitForServed(harness, range, 21);
    // Give a would-be double delivery time to show up before asserting exact numbers.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const summary = await harness.get(`${API}/summary?${range}`);
    expect(summary.body).toMatchObject({
      minted: { client_credentials: 8, password: 8, refresh_token: 3 },
      served: { client_credentials: 10, password: 8, refresh_token: 3 },
      reused: 2,
      registeredUsers: 5,
      applications: 4,
    });
    const registered = await harness.get(`${API}/applications/registered-users?${range}`);
    expect(registered.body.list.map((row: { registeredUsers: number }) => row.registeredUsers)).toEqual([3, 2, 0, 0]);
    const usersOfA = await harness.get(`${API}/applications/${APP_A}/users`);
    expect(usersOfA.body.list.map((row: { username: string; tokenCount: number }) => [row.username, row.tokenCount])).toEqual([
      ['user1', 4],
      ['user2', 1],
      ['user4', 1],
    ]);
    const usersOfB = await harness.get(`${API}/applications/${APP_B}/users`);
    expect(usersOfB.body.list.map((row: { username: string; tokenCount: number }) => [row.username, row.tokenCount])).toEqual([
      ['user3', 3],
      ['user1', 2],
    ]);
  });
});

describe('analytics (PostgreSQL)', () => {
  let harness: Harness | undefined;
  let drop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stopHarness(harness);
    await drop?.();
  });

  it('ingests the same mix into PostgreSQL and answers the core statistics exactly', async () => {
    const database = await postgresTestDatabase();
    if (!database) return;
    drop = database.drop;
    harness = await startHarness(database.url);
    const base = scenarioBase();
    const range = `from=${iso(base - HOUR)}&to=${iso(base + 3 * HOUR)}`;
    await publishAll(harness.publishers, phaseOne(base));
    await waitForServed(harness, range, 18);
    await waitForApplicationEvents(harness, 5);

    expect((await harness.get(`${API}/summary?${range}`)).body).toEqual({
      from: iso(base - HOUR),
      to: iso(base + 3 * HOUR),
      minted: { client_credentials: 7, password: 7, refresh_token: 2 },
      served: { client_credentials: 9, password: 7, refresh_token: 2 },
      reused: 2,
      clientAuthMethods: METHODS_OF_PHASE_ONE,
      tokenBindings: BINDINGS_OF_PHASE_ONE,
      registeredUsers: 4,
      applications: 4,
    });
    expect((await harness.get(`${API}/token-issuance?${range}&granularity=hour&grantType=password`)).body.list).toEqual([
      { time: iso(base), grantType: 'password', minted: 5, served: 5 },
      { time: iso(base + HOUR), grantType: 'password', minted: 2, served: 2 },
    ]);
    expect((await harness.get(`${API}/applications/registered-users?${range}`)).body.list).toEqual([
      { applicationId: APP_A, applicationName: NAME_A, owner: 'alice', registeredUsers: 2 },
      { applicationId: APP_B, applicationName: 'Weather', owner: 'bob', registeredUsers: 2 },
      { applicationId: APP_C, applicationName: 'CC Only', owner: 'carol', registeredUsers: 0 },
      { applicationId: APP_D, applicationName: null, owner: null, registeredUsers: 0 },
    ]);
    expect((await harness.get(`${API}/applications/${APP_A}/users`)).body.list).toEqual([
      { username: 'user1', tokenCount: 4, firstSeen: iso(base + 5 * MINUTE), lastSeen: iso(base + 71 * MINUTE) },
      { username: 'user2', tokenCount: 1, firstSeen: iso(base + 10 * MINUTE), lastSeen: iso(base + 10 * MINUTE) },
    ]);
    const aroundUser1 = await harness.get(`${API}/summary?from=${iso(base + 69 * MINUTE)}&to=${iso(base + 70 * MINUTE + 30_000)}`);
    expect(aroundUser1.body).toMatchObject({ registeredUsers: 1, applications: 1 });
    expect((await harness.get(`${API}/top-users?limit=1`)).body.list).toEqual([
      { applicationId: APP_A, applicationName: NAME_A, users: [{ username: 'user1', tokenCount: 4 }] },
      { applicationId: APP_B, applicationName: 'Weather', users: [{ username: 'user3', tokenCount: 3 }] },
    ]);
  });
});
