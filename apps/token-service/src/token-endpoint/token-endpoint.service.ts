import { Inject, Injectable } from '@nestjs/common';
import { GrantType, TokenConfirmation } from '@keymint/contracts';
import { AuthenticatedRequest, ClientAuthenticator } from '../client-authentication/client-authenticator';
import { certificateThumbprint } from '../client-authentication/client-certificate';
import { OAuth2HttpRequest } from '../client-authentication/oauth2-request';
import { DpopProofs } from '../dpop/dpop-proofs';
import { DpopRequest } from '../dpop/dpop-request';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { TokenResponse } from '../oauth2/http-schemas';
import { countIssued, observeTokenRequest } from '../metrics/token-metrics';
import { OAuth2Parameters, readParameters, singleParameter } from '../oauth2/request-parameters';
import { GRANT_HANDLERS, GrantContext, GrantHandler, IssuedToken } from './grant-handler';

/** The token endpoint's answer: the token, and the DPoP nonce to use next (`DPoP-Nonce`) when the server requires one. */
export interface TokenEndpointAnswer {
  token: TokenResponse;
  dpopNonce?: string;
}

/**
 * The token endpoint as small named steps (oidc-provider style): open the
 * request and authenticate the client (ClientAuthenticator) → the DPoP proof,
 * when there is one (DpopProofs) → what its tokens are bound to
 * (requestConfirmation: the proof's key, the TLS client certificate) → grant
 * type known and allowed for the key → a proof when the key requires DPoP →
 * the grant's parameters read with its schema → the grant (which decides,
 * mints and writes the token with its event).
 */
@Injectable()
export class TokenEndpointService {
  private readonly grants: Map<string, GrantHandler>;

  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(DpopProofs) private readonly dpopProofs: DpopProofs,
    @Inject(GRANT_HANDLERS) grants: GrantHandler[],
  ) {
    this.grants = new Map(grants.map((grant) => [grant.grantType, grant]));
  }

  /** POST /token. */
  async exchange(request: OAuth2HttpRequest, dpop: DpopRequest): Promise<TokenEndpointAnswer> {
    const started = process.hrtime.bigint();
    const authenticated = await this.authenticator.authenticateRequest(request, 'token');
    // A bearer request (no proof, no certificate) skips the binding step's work: the token path's common case.
    const dpopJkt = dpop.proofs.length === 0 ? undefined : ((await this.dpopProofs.verify(dpop)) ?? undefined);
    const { client, parameters, address, clientAuthMethod, certificate, origin } = authenticated;
    const issued = await this.issue({ client, parameters, address, clientAuthMethod, confirmation: requestConfirmation({ certificate, dpopJkt }), origin });
    observeTokenRequest(issued.access.grantType, started);
    return { token: issued.response, dpopNonce: dpopJkt === undefined ? undefined : this.dpopProofs.freshNonce() };
  }

  /** The same steps after the client has been authenticated some other way (the registry's generate-token RPC, which has no proof). */
  async grant(context: GrantContext<OAuth2Parameters>): Promise<TokenResponse> {
    return (await this.issue(context)).response;
  }

  private async issue(context: GrantContext<OAuth2Parameters>): Promise<IssuedToken> {
    const { client, parameters } = context;
    const grantType = singleParameter(parameters, 'grant_type');
    if (grantType === undefined || grantType === '') throw OAuth2Error.invalidRequest('grant_type is required.');
    const grant = this.grants.get(grantType);
    if (!grant) throw OAuth2Error.unsupportedGrantType();
    if (!client.grantTypes.includes(grantType as GrantType)) throw OAuth2Error.unauthorizedClient();
    if (client.requireDpop && context.confirmation?.jkt === undefined) {
      throw OAuth2Error.invalidDpopProof('This client must send a DPoP proof with every token request (its key requires DPoP).');
    }
    const issued = await grant.handle({ ...context, parameters: readParameters(grant.parameters, parameters) });
    // Counted once it is written and about to be answered (keymint_tokens_issued_total).
    countIssued(issued.access, issued.reused);
    return issued;
  }
}

/**
 * What the tokens issued to a request are bound to (RFC 7800 `cnf`), or undefined for bearer tokens: the key of
 * its verified DPoP proof (RFC 9449 §5) and the certificate of its TLS connection, whatever the client
 * authenticated with (RFC 8705 §3). A client that sends neither gets bearer tokens as before.
 */
export function requestConfirmation(request: Pick<AuthenticatedRequest, 'certificate'> & { dpopJkt?: string }): TokenConfirmation | undefined {
  if (!request.certificate && request.dpopJkt === undefined) return undefined;
  return {
    ...(request.dpopJkt !== undefined ? { jkt: request.dpopJkt } : {}),
    ...(request.certificate ? { 'x5t#S256': certificateThumbprint(request.certificate) } : {}),
  };
}
