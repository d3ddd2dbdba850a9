import { RegistryApi } from '../bench/keymint-api';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http, HttpResult } from './support/http';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const ORDERS = 'https://api.example.com/orders';
const BILLING = 'urn:example:billing';
const ELSEWHERE = 'https://attacker.example/orders';

interface Client {
  applicationId: string;
  keyMappingId: string;
  consumerKey: string;
  authorization: string;
}

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  scope: string;
  token_type: string;
}

/** A JWT's claims, read the way a resource server reads them. */
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { aud: string | string[]; client_id: string };

/**
 * RFC 8707 resource indicators played end to end on a cluster: a key lists the resources its tokens may be
 * asked for (registry), `resource` at /token becomes the token's aud (JWT and introspection), a resource the
 * key does not list is invalid_target, a refresh narrows and never widens, and WSO2 reuse never hands a
 * token for one resource to a request for another.
 */
describe('resource indicators (RFC 8707)', () => {
  let cluster: TestCluster;
  let jwtClient: Client;
  let opaqueClient: Client;
  const user = { username: 'resource-user', password: 'Resource-user-password-1' };

  async function keyFor(name: string, tokenType: 'JWT' | 'OAUTH', resources: string[]): Promise<Client> {
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication(name, tokenType);
    const generated = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/generate-keys`), {
      method: 'POST',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials', 'password', 'refresh_token'], resources }),
    });
    expect(generated.status).toBe(200);
    const key = generated.json<{ keyMappingId: string; consumerKey: string; consumerSecret: string; resources: string[] }>();
    expect(key.resources).toEqual(resources);
    return { applicationId, keyMappingId: key.keyMappingId, consumerKey: key.consumerKey, authorization: basicAuth(key.consumerKey, key.consumerSecret) };
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ services: ['application-registry', 'token-service'] });
    jwtClient = await keyFor('resources-jwt', 'JWT', [ORDERS, BILLING]);
    opaqueClient = await keyFor('resources-opaque', 'OAUTH', [ORDERS, BILLING]);
    await new RegistryApi(cluster.url('application-registry'), cluster.admin).createUser(user.username, user.password);
  });
  afterAll(() => cluster?.stop());

  /** POST /token as the client, with a form built from pairs (so that a name may repeat). */
  const token = (client: Client, pairs: Array<[string, string]>): Promise<HttpResult> =>
    http(cluster.url('token-service', '/token'), { method: 'POST', headers: { ...FORM, Authorization: client.authorization }, body: new URLSearchParams(pairs).toString() });
  const issued = async (client: Client, pairs: Array<[string, string]>): Promise<TokenAnswer> => {
    const answer = await token(client, pairs);
    expect({ status: answer.status, body: answer.status === 200 ? 'token' : answer.body }).toEqual({ status: 200, body: 'token' });
    return answer.json<TokenAnswer>();
  };
  const refused = async (client: Client, pairs: Array<[string, string]>) => {
    const answer = await token(client, pairs);
    return { status: answer.status, ...answer.json<{ error: string; error_description: string }>() };
  };
  const introspected = async (client: Client, accessToken: string) => {
    const answer = await http(cluster.url('token-service', '/introspect'), {
      method: 'POST',
      headers: { ...FORM, Authorization: client.authorization },
      body: new URLSearchParams({ token: accessToken }).toString(),
    });
    expect(answer.status).toBe(200);
    return answer.json<{ active: boolean; aud?: string | string[] }>();
  };
  const clientCredentials = (...resources: string[]): Array<[string, string]> => [
    ['grant_type', 'client_credentials'],
    ...resources.map((resource): [string, string] => ['resource', resource]),
  ];
  const signIn = (...resources: string[]): Array<[string, string]> => [
    ['grant_type', 'password'],
    ['username', user.username],
    ['password', user.password],
    ...resources.map((resource): [string, string] => ['resource', resource]),
  ];
  const refresh = (refreshToken: string, ...resources: string[]): Array<[string, string]> => [
    ['grant_type', 'refresh_token'],
    ['refresh_token', refreshToken],
    ...resources.map((resource): [string, string] => ['resource', resource]),
  ];

  it('makes an allowed resource the JWT aud, and introspection says so', async () => {
    const { access_token } = await issued(jwtClient, clientCredentials(ORDERS));
    expect(claimsOf(access_token)).toMatchObject({ aud: ORDERS, client_id: jwtClient.consumerKey });
    expect(await introspected(jwtClient, access_token)).toMatchObject({ active: true, aud: ORDERS });
  });

  it('gives a token for two resources both, as an array, whatever their order (repeated in a form, an array in JSON)', async () => {
    const both = [BILLING, ORDERS].sort();
    const { access_token } = await issued(jwtClient, clientCredentials(ORDERS, BILLING));
    expect(claimsOf(access_token).aud).toEqual(both);
    expect((await introspected(jwtClient, access_token)).aud).toEqual(both);
    const asJson = await http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: jwtClient.authorization },
      body: JSON.stringify({ grant_type: 'client_credentials', resource: [BILLING, ORDERS, BILLING] }),
    });
    expect(asJson.status).toBe(200);
    expect(claimsOf(asJson.json<TokenAnswer>().access_token).aud).toEqual(both);
  });

  it("answers an opaque token's introspection with its resources", async () => {
    const { access_token } = await issued(opaqueClient, clientCredentials(BILLING));
    expect(access_token.split('.')).toHaveLength(1);
    expect(await introspected(opaqueClient, access_token)).toMatchObject({ active: true, aud: BILLING });
  });

  it('keeps the consumer key as the aud when no resource is asked for, as before', async () => {
    const { access_token } = await issued(jwtClient, clientCredentials());
    expect(claimsOf(access_token).aud).toBe(jwtClient.consumerKey);
    expect((await introspected(jwtClient, access_token)).aud).toBe(jwtClient.consumerKey);
    const opaque = await issued(opaqueClient, clientCredentials());
    expect((await introspected(opaqueClient, opaque.access_token)).aud).toBe(opaqueClient.consumerKey);
  });

  it('refuses a resource the key does not list, even one that differs only in its spelling, with invalid_target', async () => {
    for (const resource of [ELSEWHERE, `${ORDERS}/`, 'HTTPS://api.example.com/orders', 'https://api.example.com:443/orders']) {
      for (const client of [jwtClient, opaqueClient]) {
        expect(await refused(client, clientCredentials(ORDERS, resource))).toEqual({
          status: 400,
          error: 'invalid_target',
          error_description: `This client may not ask for the resource '${resource}' (it is not among its key's resources).`,
        });
      }
    }
    // Another key's resource is no help either: the list is the key's own.
    const other = await keyFor('resources-other', 'JWT', [ELSEWHERE]);
    expect(await refused(other, clientCredentials(ORDERS))).toMatchObject({ status: 400, error: 'invalid_target' });
    expect(await refused(jwtClient, signIn(ELSEWHERE))).toMatchObject({ status: 400, error: 'invalid_target' });
  });

  it('refuses a relative URI, a fragment or an empty resource with invalid_target, saying why', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/orders', /^resource '\/orders' is not an absolute URI/],
      ['api.example.com/orders', /^resource 'api\.example\.com\/orders' is not an absolute URI/],
      [`${ORDERS}#section`, /^resource 'https:\/\/api\.example\.com\/orders#section' has a fragment \(#\.\.\.\), which a resource must not have/],
      ['', /^resource must not be empty/],
    ];
    for (const [resource, description] of cases) {
      for (const pairs of [clientCredentials(resource), signIn(resource)]) {
        const answer = await refused(jwtClient, pairs);
        expect({ resource, ...answer }).toEqual({ resource, status: 400, error: 'invalid_target', error_description: expect.stringMatching(description) });
      }
    }
  });

  it('still refuses any other parameter given twice', async () => {
    for (const pairs of [
      [...clientCredentials(ORDERS), ['scope', 'a'], ['scope', 'b']],
      [['grant_type', 'client_credentials'], ['grant_type', 'client_credentials']],
      [...signIn(ORDERS), ['username', 'someone-else']],
    ] as Array<Array<[string, string]>>) {
      expect(await refused(jwtClient, pairs)).toEqual({ status: 400, error: 'invalid_request', error_description: expect.stringMatching(/is included more than once/) });
    }
  });

  it('narrows on refresh, gives the next refresh the full set again, and never widens', async () => {
    const both = [BILLING, ORDERS].sort();
    const session = await issued(jwtClient, signIn(ORDERS, BILLING));
    expect(claimsOf(session.access_token).aud).toEqual(both);

    const narrowed = await issued(jwtClient, refresh(session.refresh_token!, ORDERS));
    expect(claimsOf(narrowed.access_token).aud).toBe(ORDERS);
    // The new refresh token keeps what the family was granted.
    expect((await introspected(jwtClient, narrowed.refresh_token!)).aud).toEqual(both);

    // Widening is refused, and costs the client nothing: its refresh token is still good.
    expect(await refused(jwtClient, refresh(narrowed.refresh_token!, ELSEWHERE))).toEqual({
      status: 400,
      error: 'invalid_target',
      error_description: `The refresh token was not granted the resource '${ELSEWHERE}': a refresh may narrow the resources, never widen them.`,
    });
    const full = await issued(jwtClient, refresh(narrowed.refresh_token!));
    expect(claimsOf(full.access_token).aud).toEqual(both);
    const billingOnly = await issued(jwtClient, refresh(full.refresh_token!, BILLING));
    expect(claimsOf(billingOnly.access_token).aud).toBe(BILLING);

    // A family granted for the consumer key gets no resource at refresh, even one its key lists.
    const plain = await issued(jwtClient, signIn());
    expect(claimsOf(plain.access_token).aud).toBe(jwtClient.consumerKey);
    expect(await refused(jwtClient, refresh(plain.refresh_token!, ORDERS))).toMatchObject({ status: 400, error: 'invalid_target' });
    expect(claimsOf((await issued(jwtClient, refresh(plain.refresh_token!))).access_token).aud).toBe(jwtClient.consumerKey);
  });

  it('drops at refresh a resource the key no longer lists, from the family too; with none left, invalid_target', async () => {
    const client = await keyFor('resources-shrinking', 'JWT', [ORDERS, BILLING]);
    const session = await issued(client, signIn(ORDERS, BILLING));
    const billingOnly = await issued(client, signIn(BILLING));
    const changed = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${client.applicationId}/oauth-keys/${client.keyMappingId}`), {
      method: 'PUT',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ resources: [ORDERS] }),
    });
    expect(changed.status).toBe(200);
    // The token service's client cache drops the key on registry.keys.updated.v1: wait until it asks again.
    const deadline = Date.now() + 10_000;
    while ((await token(client, clientCredentials(BILLING))).status === 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await refused(client, clientCredentials(BILLING))).toMatchObject({ status: 400, error: 'invalid_target' });

    const refreshed = await issued(client, refresh(session.refresh_token!));
    expect(claimsOf(refreshed.access_token).aud).toBe(ORDERS);
    expect((await introspected(client, refreshed.refresh_token!)).aud).toBe(ORDERS);
    expect(await refused(client, refresh(billingOnly.refresh_token!))).toEqual({
      status: 400,
      error: 'invalid_target',
      error_description: "None of the resources asked for is among the client's key's resources any more.",
    });
  });

  it("refuses a token for resources at keymint's own APIs, whose Bearer tokens are for the consumer key", async () => {
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const applicationId = await registry.createApplication('resources-portal-client', 'JWT');
    const generated = await http(cluster.url('application-registry', `/api/am/devportal/v2/applications/${applicationId}/generate-keys`), {
      method: 'POST',
      headers: { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ keyType: 'PRODUCTION', scopes: ['apim:subscribe'], resources: [ORDERS] }),
    });
    const key = generated.json<{ consumerKey: string; consumerSecret: string }>();
    const client = { applicationId, keyMappingId: '', consumerKey: key.consumerKey, authorization: basicAuth(key.consumerKey, key.consumerSecret) };
    const applications = (accessToken: string) =>
      http(cluster.url('application-registry', '/api/am/devportal/v2/applications'), { headers: { Authorization: `Bearer ${accessToken}` } });
    const forTheKey = await issued(client, [...clientCredentials(), ['scope', 'apim:subscribe']]);
    expect((await applications(forTheKey.access_token)).status).toBe(200);
    const forOrders = await issued(client, [...clientCredentials(ORDERS), ['scope', 'apim:subscribe']]);
    expect(forOrders.scope).toContain('apim:subscribe');
    expect((await applications(forOrders.access_token)).status).toBe(401);
  });

  describe('with WSO2 reuse of opaque client-credentials tokens', () => {
    it('hands the same token again for the same resources, and another token for other resources', async () => {
      const orders = await issued(opaqueClient, clientCredentials(ORDERS));
      expect((await issued(opaqueClient, clientCredentials(ORDERS))).access_token).toBe(orders.access_token);
      const billing = await issued(opaqueClient, clientCredentials(BILLING));
      const both = await issued(opaqueClient, clientCredentials(BILLING, ORDERS));
      const none = await issued(opaqueClient, clientCredentials());
      const tokens = [orders, billing, both, none].map((answer) => answer.access_token);
      expect(new Set(tokens).size).toBe(4);
      // The same set in another order is the same audience, hence the same token.
      expect((await issued(opaqueClient, clientCredentials(ORDERS, BILLING))).access_token).toBe(both.access_token);
      expect((await introspected(opaqueClient, orders.access_token)).aud).toBe(ORDERS);
      expect((await introspected(opaqueClient, billing.access_token)).aud).toBe(BILLING);
      expect((await introspected(opaqueClient, none.access_token)).aud).toBe(opaqueClient.consumerKey);
    });

    it('never hands a token for one resource to a concurrent request for another', async () => {
      const client = await keyFor('resources-concurrent', 'OAUTH', [ORDERS, BILLING]);
      const asked = Array.from({ length: 24 }, (_, index) => [ORDERS, BILLING, undefined][index % 3]);
      const answers = await Promise.all(asked.map((resource) => issued(client, resource === undefined ? clientCredentials() : clientCredentials(resource))));
      const audiences = await Promise.all(answers.map(async (answer) => (await introspected(client, answer.access_token)).aud));
      expect(audiences).toEqual(asked.map((resource) => resource ?? client.consumerKey));
      // One token per audience.
      expect(new Set(answers.map((answer) => answer.access_token)).size).toBe(3);
    });
  });
});
