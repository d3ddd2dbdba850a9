import { createHash, generateKeyPairSync } from 'node:crypto';
import { z } from 'zod/v4';
import { ClientRecord, GrantType } from '@keymint/contracts';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { Database } from '@keymint/persistence';
import { JtiReplays } from '../oauth2/jti-replays';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { ClientCache } from '../client-authentication/client-cache';
import { MutualTlsAuthenticator } from '../client-authentication/mutual-tls';
import { DpopProofs } from '../dpop/dpop-proofs';
import { dpopProof, thumbprint } from '../../../../test/support/dpop';
import { DpopRequest, NO_DPOP } from '../dpop/dpop-request';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { TokenRecord } from '../token-storage/token.entity';
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

/** `handled`: each grant that ran, with the DPoP key it was given (`grant jkt`). */
function endpoint(handled: string[], record: ClientRecord = client): TokenEndpointService {
  const clients = { get: async (key: string) => (key === record.consumerKey ? record : null) } as unknown as ClientCache;
  const limiter = new SignInLimiter(10);
  const grant = (grantType: GrantType): GrantHandler => ({
    grantType,
    parameters: z.object({ grant_type: z.literal(grantType) }),
    handle: async ({ confirmation }) => {
      handled.push(confirmation?.jkt === undefined ? grantType : `${grantType} ${confirmation.jkt}`);
      const access = { grantType, tokenType: 'OAUTH', cnfJkt: confirmation?.jkt ?? null, cnfX5t: null } as TokenRecord;
      return { response: { access_token: grantType, scope: 'default', token_type: 'Bearer', expires_in: 1 }, access, reused: false };
    },
  });
  // A single SQLite instance's: assertion ids in memory; secret uses reported nowhere.
  const replays = new JtiReplays({ postgres: false } as Database);
  const secretUses = { record: () => undefined } as never;
  const issuer = { ISSUER: 'https://localhost:8243/oauth2/token' };
  const authenticator = new ClientAuthenticator(issuer, clients, limiter, replays, secretUses, new MutualTlsAuthenticator({}));
  const dpopProofs = new DpopProofs(issuer, replays, null);
  return new TokenEndpointService(authenticator, dpopProofs, [grant('client_credentials'), grant('password'), grant('refresh_token')]);
}

describe('TokenEndpointService', () => {
  it.each<[string, string]>([
    ['grant_type=client_credentials', 'client_credentials'],
    ['grant_type=password&username=u&password=p', 'password'],
  ])('hands %s to its grant', async (body, grant) => {
    const handled: string[] = [];
    const { token } = await endpoint(handled).exchange({ body: Object.fromEntries(new URLSearchParams(body)), query: {}, authorization: basic, address: '::1', origin: { requestId: 'r-1' } }, NO_DPOP);
    expect(token.access_token).toBe(grant);
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
      .exchange({ body, query: {}, authorization, address: '::1', origin: { requestId: 'r-1' } }, NO_DPOP)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect((error as OAuth2Error).code).toBe(code);
    expect((error as OAuth2Error).getStatus()).toBe(status);
    expect(handled).toEqual([]);
  });

  it('refuses client credentials in the query string before looking at the client', async () => {
    const handled: string[] = [];
    const error = await endpoint(handled)
      .exchange({ body: { grant_type: 'client_credentials' }, query: { client_secret: 'secret' }, authorization: basic, address: '::1', origin: { requestId: 'r-1' } }, NO_DPOP)
      .catch((thrown: unknown) => thrown);
    expect((error as OAuth2Error).code).toBe('invalid_request');
    expect(handled).toEqual([]);
  });

  describe('with DPoP', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const request = { body: { grant_type: 'client_credentials' }, query: {}, authorization: basic, address: '::1', origin: { requestId: 'r-1' } };
    const withProof = (): DpopRequest => ({ proofs: [dpopProof(key, { htu: 'http://localhost:8280/token' })], method: 'POST', scheme: 'http', host: 'localhost:8280', path: '/token' });

    it('hands the grant the thumbprint of the key the proof proves', async () => {
      const handled: string[] = [];
      await endpoint(handled).exchange(request, withProof());
      expect(handled).toEqual([`client_credentials ${thumbprint(key)}`]);
    });

    it('refuses a key that requires DPoP a request without a proof, at the token endpoint and through generate-token, and runs no grant', async () => {
      const handled: string[] = [];
      const strict = endpoint(handled, { ...client, requireDpop: true });
      for (const attempt of <Array<() => Promise<unknown>>>[
        () => strict.exchange(request, NO_DPOP),
        () => strict.grant({ client: { ...client, requireDpop: true }, parameters: { grant_type: 'client_credentials' }, address: 'registry', clientAuthMethod: 'client_secret_post', origin: undefined }),
      ]) {
        const error = (await Promise.resolve().then(attempt).catch((thrown: unknown) => thrown)) as OAuth2Error;
        expect([error.code, error.getStatus(), error.description]).toEqual(['invalid_dpop_proof', 400, expect.stringMatching(/must send a DPoP proof/)]);
      }
      expect(handled).toEqual([]);
      await strict.exchange(request, withProof());
      expect(handled).toEqual([`client_credentials ${thumbprint(key)}`]);
    });

    it('authenticates the client before it looks at the proof: a bad client is 401 and its proof is not used up', async () => {
      const handled: string[] = [];
      const service = endpoint(handled);
      const proof = withProof();
      const error = (await service.exchange({ ...request, authorization: undefined }, proof).catch((thrown: unknown) => thrown)) as OAuth2Error;
      expect(error.code).toBe('invalid_client');
      await service.exchange(request, proof);
      expect(handled).toEqual([`client_credentials ${thumbprint(key)}`]);
    });
  });
});
