/**
 * Throughput of POST /token on a private cluster (token-service only, a fake
 * registry). Prints requests per second; not a test.
 *   npm run build && node dist/apps/token-service/bench/token-endpoint.bench.js [seconds] [connections]
 * Scenarios: opaque client_credentials (WSO2 reuse: the common case), JWT RS256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { Agent, request } from 'undici';
import { startTestCluster } from '../../../test/support/cluster';

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 50);
  const cluster = await startTestCluster({ services: ['token-service'] });
  const nats = await connect({ servers: cluster.nats.url });
  const secret = randomBytes(24).toString('base64url');
  const record = (consumerKey: string, tokenType: 'OAUTH' | 'JWT') => ({
    consumerKey,
    consumerSecretHash: createHash('sha256').update(secret).digest('hex'),
    keyMappingId: `map-${consumerKey}`,
    keyType: 'PRODUCTION',
    keyState: 'ACTIVE',
    grantTypes: ['client_credentials'],
    scopes: [],
    validityTime: 3600,
    applicationId: `app-${consumerKey}`,
    applicationName: consumerKey,
    owner: 'bench',
    tokenType,
  });
  const clients: Record<string, unknown> = { opaque: record('opaque', 'OAUTH'), jwt: record('jwt', 'JWT') };
  nats.subscribe('registry.rpc.client.get.v1', {
    callback: (_error, message) => {
      const { id, data } = JSON.parse(Buffer.from(message.data).toString()) as { id: string; data: { consumerKey: string } };
      message.respond(Buffer.from(JSON.stringify({ id, response: clients[data.consumerKey] ?? null, isDisposed: true })));
    },
  });
  const agent = new Agent({ connections });
  try {
    for (const key of ['opaque', 'jwt']) {
      const authorization = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
      const target = cluster.url('token-service', '/token');
      let done = 0;
      let failed = 0;
      const deadline = Date.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < deadline) {
            const response = await request(target, {
              method: 'POST',
              dispatcher: agent,
              headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
              body: 'grant_type=client_credentials',
            });
            await response.body.text();
            if (response.statusCode === 200) done += 1;
            else failed += 1;
          }
        }),
      );
      process.stdout.write(`${key}: ${Math.round(done / seconds)} req/s (${failed} failed, ${connections} connections, ${seconds} s)\n`);
    }
  } finally {
    await agent.close();
    await nats.close();
    await cluster.stop();
  }
}

void main();
