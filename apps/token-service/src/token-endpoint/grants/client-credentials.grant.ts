import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientRecord } from '@keymint/contracts';
import { grantScopes, parseScopeParameter } from '../../oauth2/scope';
import { resolveValidityPeriod } from '../../oauth2/validity';
import { TokenIssuer, TokenResponse } from '../../tokens/token-issuer';
import { GrantContext, GrantHandler } from './grant-handler';

/** RFC 6749 §4.4 with WSO2's validity_period and am_application_scope. */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials' as const;

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
  ) {}

  handle({ client, parameters }: GrantContext): Promise<TokenResponse> {
    const requested = parseScopeParameter(parameters.scope);
    const lifetimeSeconds = resolveValidityPeriod(parameters.validity_period, client.validityTime, this.config.MAX_TOKEN_VALIDITY);
    return this.issueFor(client, requested, lifetimeSeconds);
  }

  /** Also the registry's generate-token (tokens.rpc.issue.v2). */
  issueFor(client: ClientRecord, requestedScopes: string[], lifetimeSeconds: number): Promise<TokenResponse> {
    const scopes = grantScopes(requestedScopes, client.scopes, { kind: 'application' });
    return this.issuer.issue({ client, grantType: this.grantType, scopes, lifetimeSeconds });
  }
}
