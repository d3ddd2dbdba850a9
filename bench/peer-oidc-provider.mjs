// The benchmark's peer: panva's oidc-provider 9 (ESM-only, so plain JavaScript outside the
// CommonJS build). Usage: node bench/peer-oidc-provider.mjs <port> <opaque|RS256|ES256> [clientSecret]
// One client `bench` (client_credentials, client_secret_basic), introspection on, tokens in the
// default in-memory adapter. Prints "ready" once listening; stops on SIGTERM/SIGINT.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const [portArgument, formatArgument = 'opaque', secretArgument] = process.argv.slice(2);
const port = Number(portArgument);
const format = formatArgument;
if (!Number.isInteger(port) || port < 1 || port > 65535 || !['opaque', 'RS256', 'ES256'].includes(format)) {
  process.stderr.write('usage: node bench/peer-oidc-provider.mjs <port> <opaque|RS256|ES256> [clientSecret]\n');
  process.exit(2);
}
const clientSecret = secretArgument ?? randomBytes(32).toString('base64url');

// Signing keys made once at start, as keymint does (RS256 is always present for ID tokens).
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const keys = [{ ...rsa, kid: 'rs256-bench', alg: 'RS256', use: 'sig' }];
if (format === 'ES256') {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  keys.unshift({ ...ec, kid: 'es256-bench', alg: 'ES256', use: 'sig' });
}

const resource = 'urn:keymint:bench';
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench',
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'default',
    },
  ],
  jwks: { keys },
  scopes: ['default'],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // Like keymint: a client may introspect only its own tokens.
    introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
    ...(format === 'opaque'
      ? {}
      : {
          resourceIndicators: {
            enabled: true,
            defaultResource: () => resource,
            useGrantedResource: () => true,
            getResourceServerInfo: () => ({
              scope: 'default',
              audience: resource,
              accessTokenTTL: 3600,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: format } },
            }),
          },
        }),
  },
});
// Keep the load generator's terminal readable: failures are counted by autocannon, not logged here.
provider.on('server_error', (_ctx, error) => process.stderr.write(`server_error: ${error.message}\n`));

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer} ${format}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
