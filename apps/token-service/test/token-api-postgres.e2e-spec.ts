import { createPublicKey, JsonWebKey, randomBytes, verify } from 'node:crypto';
import { Client } from 'pg';
import { ServiceProcess } from '../../../scripts/lib/services';
import { startTestCluster, TestCluster } from '../../../test/support/cluster';
import { postgresTestDatabase, TestDatabase } from '../../../test/support/postgres';
import { FakeRegistry } from './fake-registry';
import { basic, form, post } from './support';

/**
 * The Token API on PostgreSQL (DB_URL), scaled out: the cluster's token
 * service plus a second replica on the same database and NATS (reuse must
 * give one token across replicas), and a third with TOKEN_RENEW_PER_REQUEST.
 * JWTs are ES256 here.
 */
describe('token-service on PostgreSQL, several replicas (e2e)', () => {
  let cluster: TestCluster | undefined;
  let registry: FakeRegistry;
  let database: TestDatabase | undefined;
  const replicas: ServiceProcess[] = [];
  const secrets: Record<string, string> = {};
  const url = (path: string) => cluster!.url('token-service', path);

  beforeAll(async () => {
    database = (await postgresTestDatabase()) ?? undefined;
    if (!database) return;
    // Replicas share the reuse encryption key (or DATA_DIR): each can hand out the others' reusable token.
    const shared = { JWT_ALG: 'ES256', TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    cluster = await startTestCluster({ services: ['token-service'], dbUrl: database.url, env: shared });
    registry = await FakeRegistry.start(cluster);
    secrets.opaque = registry.addClient({ consumerKey: 'pg-opaque', tokenType: 'OAUTH' });
    secrets.renewed = registry.addClient({ consumerKey: 'pg-renewed', tokenType: 'OAUTH' });
    secrets.jwt = registry.addClient({ consumerKey: 'pg-jwt', tokenType: 'JWT', grantTypes: ['client_credentials', 'password', 'refresh_token'] });
    registry.users.set('carol', { password: 'carol-password', roles: ['subscriber'] });
    replicas.push(...(await Promise.all([cluster.addReplica('token-service'), cluster.addReplica('token-service', { TOKEN_RENEW_PER_REQUEST: 'true' })])));
  });

  afterAll(async () => {
    await registry?.close();
    await cluster?.stop();
    await database?.drop();
  });

  it('gives a burst spread over two replicas one token', async () => {
    if (!cluster) return;
    const authorization = basic('pg-opaque', secrets.opaque);
    const targets = [url('/token'), `${replicas[0].baseUrl}/token`];
    const replies = await Promise.all(Array.from({ length: 20 }, (_, index) => post(targets[index % 2], 'grant_type=client_credentials', { authorization })));
    expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200));
    expect(new Set(replies.map((reply) => reply.json.access_token)).size).toBe(1);

    const client = new Client({ connectionString: database!.url });
    await client.connect();
    try {
      const rows = await client.query(`SELECT count(*)::int AS n FROM token_tokens WHERE "consumerKey" = 'pg-opaque'`);
      expect(rows.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('renews opaque tokens per request and revokes the previous one (TOKEN_RENEW_PER_REQUEST)', async () => {
    if (!cluster) return;
    const authorization = basic('pg-renewed', secrets.renewed);
    const renewingUrl = `${replicas[1].baseUrl}/token`;
    const first = await post(renewingUrl, 'grant_type=client_credentials', { authorization });
    const second = await post(renewingUrl, 'grant_type=client_credentials', { authorization });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.json.access_token).not.toBe(first.json.access_token);
    expect(second.json.expires_in).toBe(3600);
    const introspect = async (token: string) => (await post(url('/oauth2/introspect'), form({ token }), { authorization })).json;
    expect(await introspect(first.json.access_token)).toEqual({ active: false });
    expect(await introspect(second.json.access_token)).toMatchObject({ active: true, client_id: 'pg-renewed', scope: 'am_application_scope default' });

    const client = new Client({ connectionString: database!.url });
    await client.connect();
    try {
      const rows = await client.query(`SELECT "revokeReason", "encryptedToken" FROM token_tokens WHERE "consumerKey" = 'pg-renewed' ORDER BY "issuedAt"`);
      expect(rows.rows).toEqual([
        { revokeReason: 'renewed', encryptedToken: null },
        { revokeReason: null, encryptedToken: null },
      ]);
    } finally {
      await client.end();
    }

    // A concurrent burst is written in shared transactions, yet behaves as if sequential: one token stays active.
    const burst = await Promise.all(Array.from({ length: 20 }, () => post(renewingUrl, 'grant_type=client_credentials', { authorization })));
    expect(burst.map((reply) => reply.status)).toEqual(Array(20).fill(200));
    const tokens = burst.map((reply) => reply.json.access_token as string);
    expect(new Set(tokens).size).toBe(20);
    const states = await Promise.all([second.json.access_token as string, ...tokens].map(introspect));
    expect(states.filter((state) => state.active === true)).toHaveLength(1);
  });

  it('signs ES256 JWTs that verify against the JWKS, and rotates refresh tokens', async () => {
    if (!cluster) return;
    const authorization = basic('pg-jwt', secrets.jwt);
    const login = await post(url('/oauth2/token'), form({ grant_type: 'password', username: 'carol', password: 'carol-password' }), { authorization });
    expect(login.status).toBe(200);
    const [header, payload, signature] = login.json.access_token.split('.');
    const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString());
    expect(alg).toBe('ES256');
    const { keys } = (await (await fetch(url('/oauth2/jwks'))).json()) as { keys: JsonWebKey[] };
    const publicKey = createPublicKey({ key: keys.find((key) => key.kid === kid)!, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);

    const refreshed = await post(url('/oauth2/token'), form({ grant_type: 'refresh_token', refresh_token: login.json.refresh_token }), { authorization });
    expect(refreshed.status).toBe(200);
    const replay = await post(url('/oauth2/token'), form({ grant_type: 'refresh_token', refresh_token: login.json.refresh_token }), { authorization });
    expect({ status: replay.status, error: replay.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
    const introspected = await post(url('/oauth2/introspect'), form({ token: refreshed.json.access_token }), { authorization });
    expect(introspected.json).toEqual({ active: false });

    const revoke = await post(url('/oauth2/revoke'), form({ token: login.json.access_token }), { authorization });
    expect({ status: revoke.status, text: revoke.text }).toEqual({ status: 200, text: '' });
  });
});
