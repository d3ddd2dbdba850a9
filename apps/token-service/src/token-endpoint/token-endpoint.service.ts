import { Inject, Injectable } from '@nestjs/common';
import { ClientRecord, GrantType } from '@keymint/contracts';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters, parseParameters, rejectQueryCredentials } from '../oauth2/request-parameters';
import { TokenResponse } from '../tokens/token-issuer';
import { GRANT_HANDLERS, GrantHandler } from './grants/grant-handler';

/** An HTTP request as the OAuth 2.0 endpoints see it. */
export interface OAuth2HttpRequest {
  body: unknown;
  query: unknown;
  authorization: string | undefined;
  address: string;
}

/**
 * The token endpoint as small named steps (oidc-provider style): parse body
 * and reject duplicates → no credentials in the URL → authenticate client →
 * grant type known and allowed → run the grant (which validates scope and
 * lifetime, issues, writes the token and its event).
 */
@Injectable()
export class TokenEndpointService {
  private readonly grants: Map<string, GrantHandler>;

  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(GRANT_HANDLERS) grants: GrantHandler[],
  ) {
    this.grants = new Map(grants.map((grant) => [grant.grantType, grant]));
  }

  async exchange(request: OAuth2HttpRequest): Promise<TokenResponse> {
    const parameters = parseParameters(request.body);
    rejectQueryCredentials(request.query);
    const client = await this.authenticator.authenticateRequest({ authorization: request.authorization, parameters, address: request.address });
    const grant = this.selectGrant(parameters, client);
    return grant.handle({ client, parameters, address: request.address });
  }

  private selectGrant(parameters: OAuth2Parameters, client: ClientRecord): GrantHandler {
    const grantType = parameters.grant_type;
    if (grantType === undefined || grantType === '') throw OAuth2Error.invalidRequest('grant_type is required.');
    const grant = this.grants.get(grantType);
    if (!grant) throw OAuth2Error.unsupportedGrantType();
    if (!client.grantTypes.includes(grantType as GrantType)) throw OAuth2Error.unauthorizedClient();
    return grant;
  }
}
