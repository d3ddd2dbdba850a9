import { Command, InvalidArgumentError, Option } from 'commander';
import { CliDependencies, CommandContext } from '../context';
import { UsageError } from '../errors';
import { signClientAssertion } from '../http/client-assertion';
import { readClientCertificate } from '../http/client-certificate';
import { readSigningKey } from '../http/jws-signing';
import { issuerOf, postTokenEndpoint, TokenParameters } from '../http/token-client';
import { GRANT_TYPES } from '@keymint/contracts';
import { listValue, oneOf, resourceValue } from '../options';
import { renderFields } from '../output/output';


interface TokenOptions {
  key: string;
  secret?: string;
  privateKey?: string;
  dpopKey?: string;
  kid?: string;
  cert?: string;
  certKey?: string;
  audience?: string;
  scope?: string[];
  resource?: string[];
  validityPeriod?: number;
  grantType: (typeof GRANT_TYPES)[number];
  username?: string;
  refreshToken?: string;
}

/** `validity_period` (docs/token-api.md, "Lifetimes"): a positive number of seconds, or -1 for the key's default. */
function validityPeriod(value: string): number {
  if (value === '-1') return -1;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive number of seconds, or -1 for the key\'s default.');
  }
  return Number(value);
}

export function registerTokenCommand(program: Command, dependencies: CliDependencies): void {
  program
    .command('token')
    .description(
      'get an access token from the token endpoint; the client authenticates with its consumer secret, with a private key ' +
        '(private_key_jwt: the command signs a one-minute assertion for each request), or with a TLS client certificate ' +
        '(tls_client_auth or self_signed_tls_client_auth, whichever the key allows); a certificate given with either of the ' +
        'others binds the token to it; with --dpop-key the tokens are bound to that key (DPoP)',
    )
    .requiredOption('--key <consumerKey>', 'consumer key')
    .option('--secret <consumerSecret>', 'consumer secret (client_secret_basic)')
    .option('--private-key <file>', 'PEM private key (RSA, EC P-256, Ed25519) whose public key the key registered (private_key_jwt)')
    .option('--kid <kid>', "with --private-key: the registered key's kid, named in the assertion's header")
    .option('--audience <aud>', "with --private-key: the assertion's aud (default: the issuer in the server's metadata)")
    .option('--cert <file>', 'PEM client certificate presented in the TLS handshake (mutual TLS, RFC 8705); needs --cert-key and an https:// token URL')
    .option('--cert-key <file>', "PEM private key of --cert's certificate")
    .option('--dpop-key <file>', 'PEM private key (RSA, EC P-256, Ed25519) to prove with DPoP (RFC 9449): the tokens are bound to it')
    .addOption(new Option('--grant-type <grant>', 'OAuth 2.0 grant').choices(GRANT_TYPES).argParser(oneOf(GRANT_TYPES)).default('client_credentials'))
    .option('--scope <scopes>', 'requested scopes (space- or comma-separated, repeatable)', listValue)
    .option('--resource <uri>', "a resource (RFC 8707) the token is for, one of the key's resources: the token's aud (repeatable)", resourceValue)
    .option('--validity-period <seconds>', 'token lifetime in seconds (-1: the key\'s default)', validityPeriod)
    .option('--username <name>', 'the end user (password grant); the password is read with --password-stdin or prompted for')
    .option('--refresh-token <token>', 'the refresh token (refresh_token grant)')
    .action(async (options: TokenOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const parameters: TokenParameters = { grant_type: options.grantType };
      if (options.scope && options.scope.length > 0) parameters.scope = options.scope.join(' ');
      if (options.resource && options.resource.length > 0) parameters.resource = options.resource;
      if (options.validityPeriod !== undefined) parameters.validity_period = String(options.validityPeriod);
      if (options.grantType === 'password') {
        parameters.username = options.username ?? (await context.secrets.text('username', '--username'));
        parameters.password = await context.secrets.password(`password for ${parameters.username}`);
      } else if (options.username !== undefined) {
        throw new UsageError('--username goes with --grant-type password');
      }
      if (options.grantType === 'refresh_token') {
        if (options.refreshToken === undefined) throw new UsageError('--grant-type refresh_token needs --refresh-token');
        parameters.refresh_token = options.refreshToken;
      } else if (options.refreshToken !== undefined) {
        throw new UsageError('--refresh-token goes with --grant-type refresh_token');
      }
      if ((options.cert === undefined) !== (options.certKey === undefined)) throw new UsageError('--cert and --cert-key go together');
      if (options.secret !== undefined && options.privateKey !== undefined) throw new UsageError('give either --secret or --private-key, not both');
      if (options.secret === undefined && options.privateKey === undefined && options.cert === undefined) {
        throw new UsageError('give --secret, --private-key, or --cert with --cert-key');
      }
      if (options.privateKey === undefined && (options.kid !== undefined || options.audience !== undefined)) {
        throw new UsageError('--kid and --audience go with --private-key');
      }
      const tokenUrl = context.urls().tokenUrl;
      if (options.cert !== undefined && !tokenUrl.startsWith('https://')) throw new UsageError(`--cert needs an https:// token URL (mutual TLS), not ${tokenUrl}`);
      const transport = options.cert === undefined ? context.transport : context.transportWithCertificate(readClientCertificate(options.cert, options.certKey!));
      const dpopKey = options.dpopKey === undefined ? undefined : readSigningKey(options.dpopKey, '--dpop-key');
      let client: Parameters<typeof postTokenEndpoint>[2];
      if (options.privateKey !== undefined) {
        const signing = readSigningKey(options.privateKey);
        const audience = options.audience ?? (await issuerOf(transport, tokenUrl));
        // A new assertion for each attempt: a retry with the server's DPoP nonce cannot use the first one again.
        client = () => ({ consumerKey: options.key, assertion: signClientAssertion(options.key, signing, audience, options.kid) });
      } else if (options.secret !== undefined) {
        client = { consumerKey: options.key, consumerSecret: options.secret };
      } else {
        client = { consumerKey: options.key, byCertificate: true };
      }
      const token = await postTokenEndpoint(transport, tokenUrl, client, parameters, dpopKey);
      context.output.result(token, () =>
        renderFields([
          ['access_token', token.access_token],
          ['token_type', token.token_type],
          ['expires_in', token.expires_in],
          ['scope', token.scope],
          ...(token.refresh_token ? ([['refresh_token', token.refresh_token]] as Array<[string, unknown]>) : []),
        ]),
      );
    });
}
