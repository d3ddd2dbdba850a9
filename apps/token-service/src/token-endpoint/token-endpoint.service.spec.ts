import { createHash } from 'node:crypto';
import { z } from 'zod/v4';
import { ClientRecord, GrantType } from '@keymint/contracts';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { Database } from '@keymint/persistence';
import { AssertionReplays } from '../client-authentication/assertion-replays';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { ClientCache } from '../client-authentication/client-cache';
import { MutualTlsAuthenticator } from '../client-authentication/mutual-tls';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { GrantHandler } from './grant-handler';
import { TokenEndpointService } from './token-endpoint.service';

const client = {
  consumerKey: 'key',
  secrets: [{ secretId: 'secret-1', hash: createHash('sha256').update('secret').digest('hex'), expiresAt: null }],
  keyState: 'ACTIVE',
  grantTypes: ['client_credentials', 'password'],
  tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
} as ClientRecord;
const basic = `Basic ${Buffer.from('key:secret').toString('base64')}`;

function endpoint(handled: string[]): TokenEndpointService {
  const clients = { get: async (key: string) => (key === client.consumerKey ? client : null) } as unknown as ClientCache;
  const limiter = new SignInLimiter(10);
  const grant = (grantType: GrantType): GrantHandler => ({
    grantType,
    parameters: z.object({ grant_type: z.literal(grantType) }),
    handle: async () => {
      handled.push(grantType);
      return { access_token: grantType, scope: 'default', token_type: 'Bearer', expires_in: 1 };
    },
  });
  // A single SQLite instance's: assertion ids in memory; secret uses reported nowhere.
  const replays = new AssertionReplays({ postgres: false } as Database);
  const secretUses = { record: () => undefined } as never;
  const authenticator = new ClientAuthenticator({ ISSUER: 'https://localhost:8243/oauth2/token' }, clients, limiter, replays, secretUses, new MutualTlsAuthenticator({}));
  return new TokenEndpointService(authenticator, [grant('client_credentials'), grant('password'), grant('refresh_token')]);
}

describe('TokenEndpointService', () => {
  it.each<[string, string]>([
    ['grant_type=client_credentials', 'client_credentials'],
    ['grant_type=password&username=u&password=p', 'password'],
  ])('hands %s to its grant', async (body, grant) => {
    const handled: string[] = [];
    const response = await endpoint(handled).exchange({ body: Object.fromEntries(new URLSearchParams(body)), query: {}, authorization: basic, address: '::1' });
    expect(response.access_token).toBe(grant);
    expect(handled).toEqual([grant]);
  });

  it.each<[Record<string, unknown>, string | undefined, string, number]>([
    [{}, basic, 'invalid_request', 400],
    [{ grant_type: '' }, basic, 'invalid_request', 400],
    [{ grant_type: 'authorization_code' }, basic, 'unsupported_grant_type', 400],
    [{ grant_type: 'refresh_token', refresh_token: 'x' }, basic, 'unauthorized_client', 400],
    [{ grant_type: ['a', 'b'] }, basic, 'invalid_request', 400],
    [{ grant_type: 'client_credentials' }, undefined, 'invalid_client', 401],
    [{ grant_type: 'client_credentials', client_id: 'key', client_secret: 'wrong' }, undefined, 'invalid_client', 401],
  ])('%p → %s, and no grant runs', async (body, authorization, code, status) => {
    const handled: string[] = [];
    const error = await endpoint(handled)
      .exchange({ body, query: {}, authorization, address: '::1' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect((error as OAuth2Error).code).toBe(code);
    expect((error as OAuth2Error).getStatus()).toBe(status);
    expect(handled).toEqual([]);
  });

  it('refuses client credentials in the query string before looking at the client', async () => {
    const handled: string[] = [];
    const error = await endpoint(handled)
      .exchange({ body: { grant_type: 'client_credentials' }, query: { client_secret: 'secret' }, authorization: basic, address: '::1' })
      .catch((thrown: unknown) => thrown);
    expect((error as OAuth2Error).code).toBe('invalid_request');
    expect(handled).toEqual([]);
  });
});
