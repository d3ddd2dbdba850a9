import { startTestCluster, TestCluster } from './support/cluster';
import { http } from './support/http';

/**
 * RFC 8414 §3.1: the metadata of an issuer with a path is at the well-known prefix followed by that path, and its
 * `issuer` is exactly the issuer identifier (§3.3: a client rejects anything else). keymint is no OpenID Provider:
 * /.well-known/openid-configuration says where the metadata is instead (docs/decisions.md).
 */
describe.each([
  ['with a path (the default form)', (port: number) => `https://localhost:${port}/oauth2/token`, '/.well-known/oauth-authorization-server/oauth2/token'],
  ['without a path', (port: number) => `https://localhost:${port}`, '/.well-known/oauth-authorization-server'],
])('discovery for an issuer %s', (_form, issuerOf, metadataPath) => {
  let cluster: TestCluster;
  let issuer: string;

  beforeAll(async () => {
    // The port the cluster gives the token service is only known once it runs: a placeholder port works as well,
    // since the issuer is an identifier the metadata must repeat, not an address the test calls.
    issuer = issuerOf(8243);
    cluster = await startTestCluster({ services: ['token-service'], env: { ISSUER: issuer } });
  });
  afterAll(() => cluster?.stop());

  it(`serves the metadata at ${metadataPath}, its issuer exactly ISSUER`, async () => {
    const response = await http(cluster.url('token-service', metadataPath));
    expect(response.status).toBe(200);
    expect(response.json().issuer).toBe(issuer);
    expect(response.json().token_endpoint).toBe(`${new URL(issuer).origin}/oauth2/token`);
  });

  it('keeps serving it at the root path', async () => {
    const response = await http(cluster.url('token-service', '/.well-known/oauth-authorization-server'));
    expect(response.status).toBe(200);
    expect(response.json().issuer).toBe(issuer);
  });

  it('answers 404 for a path that is no issuer of this server, naming where the metadata is', async () => {
    for (const path of ['/.well-known/oauth-authorization-server/other', '/.well-known/oauth-authorization-server/oauth2/token/', '/.well-known/oauth-authorization-server/oauth2']) {
      const response = await http(cluster.url('token-service', path));
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.json()).toEqual({ error: 'not_found', error_description: expect.stringContaining(`${new URL(issuer).origin}${metadataPath}`) });
    }
  });

  it('answers /.well-known/openid-configuration with a 404 that explains keymint is no OpenID Provider', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/openid-configuration/oauth2/token']) {
      const response = await http(cluster.url('token-service', path));
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.json()).toEqual({ error: 'not_found', error_description: expect.stringMatching(/not an OpenID Provider/) });
      expect(response.json<{ error_description: string }>().error_description).toContain(`${new URL(issuer).origin}${metadataPath}`);
    }
  });
});
