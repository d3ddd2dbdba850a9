import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { TokenMinter, TokenRequest } from '../../minting/token-minter';
import { ClientCredentialsRequest, ClientCredentialsRequestSchema } from '../../oauth2/http-schemas';
import { grantResources, requestedResources } from '../../oauth2/resources';
import { grantScopes, requestedScopes } from '../../oauth2/scope';
import { lifetimeSeconds } from '../../oauth2/validity';
import { reuseKeyOf } from '../../token-storage/reuse-slot.entity';
import { TokenWriter } from '../../token-storage/token-writer';
import { GrantContext, GrantHandler, IssuedToken } from '../grant-handler';
import { ReusableTokens } from './reusable-tokens';

/**
 * RFC 6749 §4.4 with WSO2's validity_period and am_application_scope, RFC 8707's
 * resource (the token's audience), and what the grant decides about issuing (docs/token-api.md, "Token reuse"):
 * - a JWT is new on every request;
 * - an opaque token is handed out again while it is valid (WSO2 reuse: ReusableTokens);
 * - or, with TOKEN_RENEW_PER_REQUEST, each request gets a new one that revokes
 *   the key's earlier tokens for the same scope set.
 * The registry's generate-token (GenerateTokenRpc) comes through here too.
 */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler<ClientCredentialsRequest> {
  readonly grantType = 'client_credentials' as const;
  readonly parameters = ClientCredentialsRequestSchema;

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(TokenMinter) private readonly minter: TokenMinter,
    @Inject(TokenWriter) private readonly writer: TokenWriter,
    @Inject(ReusableTokens) private readonly reusable: ReusableTokens,
  ) {}

  async handle({ client, parameters, clientAuthMethod, confirmation, origin }: GrantContext<ClientCredentialsRequest>): Promise<IssuedToken> {
    const scopes = grantScopes(requestedScopes(parameters.scope), client.scopes, { kind: 'application' });
    const lifetime = lifetimeSeconds(parameters.validity_period, client.validityTime, this.config.MAX_TOKEN_VALIDITY);
    const audience = grantResources(requestedResources(parameters.resource), client);
    // The audience and binding are part of the request before its reuse key is: a token for one resource, or bound to one
    // certificate, is never handed to a request for another.
    const request: TokenRequest = { client, clientAuthMethod, grantType: this.grantType, scopes, lifetimeSeconds: lifetime, audience, confirmation, origin };
    if (client.tokenType !== 'OAUTH') return this.mintNew(request);
    // The audience and the binding are part of the reuse key: a token is handed out again only to a request for the same
    // resources proving the same key (or none, for a bearer token).
    const reuseKey = reuseKeyOf(client.consumerKey, scopes, request);
    if (this.config.TOKEN_RENEW_PER_REQUEST) return this.mintNew(request, reuseKey);
    return this.reusable.issue(request, reuseKey);
  }

  /** A new token, group-committed; with a reuse key it supersedes that key's live tokens (renewal). */
  private async mintNew(request: TokenRequest, renewedReuseKey?: string): Promise<IssuedToken> {
    const minted = await this.minter.mint(request, renewedReuseKey === undefined ? undefined : { reuseKey: renewedReuseKey, keepToken: false });
    await this.writer.submit({ rows: minted.rows, events: minted.events, supersedes: renewedReuseKey, origin: request.origin });
    return { response: minted.response, access: minted.access, reused: false };
  }
}
