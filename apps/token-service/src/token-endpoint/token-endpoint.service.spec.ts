import { ClientRecord, GrantType } from '@keymint/contracts';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { GrantHandler } from './grants/grant-handler';
import { TokenEndpointService } from './token-endpoint.service';

const client = { consumerKey: 'key', grantTypes: ['client_credentials', 'password'] } as ClientRecord;

function endpoint(handled: string[]): TokenEndpointService {
  const authenticator = { authenticateRequest: async () => client } as unknown as ClientAuthenticator;
  const grant = (grantType: GrantType): GrantHandler => ({
    grantType,
    handle: async () => {
      handled.push(grantType);
      return { access_token: grantType, scope: 'default', token_type: 'Bearer', expires_in: 1 };
    },
  });
  return new TokenEndpointService(authenticator, [grant('client_credentials'), grant('password'), grant('refresh_token')]);
}

describe('TokenEndpointService', () => {
  it.each<[string, string]>([
    ['grant_type=client_credentials', 'client_credentials'],
    ['grant_type=password&username=u&password=p', 'password'],
  ])('hands %s to its grant', async (body, grant) => {
    const handled: string[] = [];
    const response = await endpoint(handled).exchange({ body: Object.fromEntries(new URLSearchParams(body)), query: {}, authorization: undefined, address: '::1' });
    expect(response.access_token).toBe(grant);
    expect(handled).toEqual([grant]);
  });

  it.each<[Record<string, unknown>, string]>([
    [{}, 'invalid_request'],
    [{ grant_type: '' }, 'invalid_request'],
    [{ grant_type: 'authorization_code' }, 'unsupported_grant_type'],
    [{ grant_type: 'refresh_token', refresh_token: 'x' }, 'unauthorized_client'],
    [{ grant_type: ['a', 'b'] }, 'invalid_request'],
  ])('%p → %s, and no grant runs', async (body, code) => {
    const handled: string[] = [];
    const error = await endpoint(handled)
      .exchange({ body, query: {}, authorization: undefined, address: '::1' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OAuth2Error);
    expect((error as OAuth2Error).code).toBe(code);
    expect((error as OAuth2Error).getStatus()).toBe(400);
    expect(handled).toEqual([]);
  });
});
