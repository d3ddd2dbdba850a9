import { Inject, Injectable } from '@nestjs/common';
import { GrantType, TokenConfirmation } from '@keymint/contracts';
import { AuthenticatedRequest, ClientAuthenticator } from '../client-authentication/client-authenticator';
import { certificateThumbprint } from '../client-authentication/client-certificate';
import { OAuth2HttpRequest } from '../client-authentication/oauth2-request';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { TokenResponse } from '../oauth2/http-schemas';
import { OAuth2Parameters, readParameters, singleParameter } from '../oauth2/request-parameters';
import { GRANT_HANDLERS, GrantContext, GrantHandler } from './grant-handler';

/**
 * The token endpoint as small named steps (oidc-provider style): open the
 * request and authenticate the client (ClientAuthenticator) → what its tokens
 * are bound to (requestConfirmation) → grant type known and allowed for the
 * key → the grant's parameters read with its schema → the grant (which
 * decides, mints and writes the token with its event).
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

  /** POST /token. */
  async exchange(request: OAuth2HttpRequest): Promise<TokenResponse> {
    const { certificate, ...authenticated } = await this.authenticator.authenticateRequest(request);
    return this.grant({ ...authenticated, confirmation: requestConfirmation({ certificate }) });
  }

  /** The same steps after the client has been authenticated some other way (the registry's generate-token RPC). */
  grant(context: GrantContext<OAuth2Parameters>): Promise<TokenResponse> {
    const { client, parameters } = context;
    const grantType = singleParameter(parameters, 'grant_type');
    if (grantType === undefined || grantType === '') throw OAuth2Error.invalidRequest('grant_type is required.');
    const grant = this.grants.get(grantType);
    if (!grant) throw OAuth2Error.unsupportedGrantType();
    if (!client.grantTypes.includes(grantType as GrantType)) throw OAuth2Error.unauthorizedClient();
    return grant.handle({ ...context, parameters: readParameters(grant.parameters, parameters) });
  }
}

/**
 * What the tokens issued to a request are bound to (RFC 7800 `cnf`), or undefined for bearer tokens: the
 * certificate of the request's TLS connection, whatever the client authenticated with (RFC 8705 §3; a client
 * that sends no certificate gets bearer tokens as before).
 */
export function requestConfirmation(request: Pick<AuthenticatedRequest, 'certificate'>): TokenConfirmation | undefined {
  return request.certificate ? { 'x5t#S256': certificateThumbprint(request.certificate) } : undefined;
}
