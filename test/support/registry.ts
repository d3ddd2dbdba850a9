import { RegistryApi } from '../../bench/keymint-api';
import { TestCluster } from './cluster';
import { basicAuth } from './http';

/**
 * An application with PRODUCTION keys for the client_credentials grant, made
 * through the devportal REST API by the admin as a user would (the
 * benchmark's `RegistryApi`); answers the Basic authorization its token
 * requests send.
 */
export async function clientCredentialsApplication(cluster: TestCluster, application: { name: string; tokenType: 'JWT' | 'OAUTH' }): Promise<string> {
  const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
  const applicationId = await registry.createApplication(application.name, application.tokenType);
  const { consumerKey, consumerSecret } = await registry.generateKeys(applicationId, ['client_credentials']);
  return basicAuth(consumerKey, consumerSecret);
}
