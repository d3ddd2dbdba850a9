import { TestCluster } from './cluster';
import { basicAuth, http } from './http';

/**
 * An application with PRODUCTION keys for the client_credentials grant, made
 * through the devportal REST API by the admin as a user would; answers the
 * Basic authorization its token requests send.
 */
export async function clientCredentialsApplication(cluster: TestCluster, application: { name: string; tokenType: 'JWT' | 'OAUTH' }): Promise<string> {
  const headers = { Authorization: cluster.adminAuthorization(), 'Content-Type': 'application/json' };
  const devportal = (path: string) => cluster.url('application-registry', `/api/am/devportal/v2${path}`);
  const app = await http(devportal('/applications'), { method: 'POST', headers, body: JSON.stringify({ ...application, throttlingPolicy: 'Unlimited' }) });
  if (app.status !== 201) throw new Error(`creating the application answered ${app.status}: ${app.body}`);
  const keys = await http(devportal(`/applications/${app.json().applicationId}/generate-keys`), {
    method: 'POST',
    headers,
    body: JSON.stringify({ keyType: 'PRODUCTION', grantTypesToBeSupported: ['client_credentials'], validityTime: 3600 }),
  });
  if (keys.status !== 200) throw new Error(`generating keys answered ${keys.status}: ${keys.body}`);
  const { consumerKey, consumerSecret } = keys.json<{ consumerKey: string; consumerSecret: string }>();
  return basicAuth(consumerKey, consumerSecret);
}
