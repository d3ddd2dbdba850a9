import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { IntrospectResponse, IssueTokenResponse, RPC_SUBJECTS, RpcErrorCode } from '@keymint/contracts';
import { rpcFailure } from '@keymint/messaging';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { IntrospectionService } from '../introspection/introspection.service';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { parseScopeParameter } from '../oauth2/scope';
import { resolveValidityPeriod } from '../oauth2/validity';
import { ClientCredentialsGrant } from '../token-endpoint/grants/client-credentials.grant';

/** The token service's RPCs: introspection for the other services, generate-token for the registry. */
@Controller()
export class TokensRpcController {
  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(IntrospectionService) private readonly introspection: IntrospectionService,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(ClientCredentialsGrant) private readonly clientCredentials: ClientCredentialsGrant,
  ) {}

  @MessagePattern(RPC_SUBJECTS.introspect)
  async introspect(@Payload() request: unknown): Promise<IntrospectResponse> {
    const token = (request as { token?: unknown } | null)?.token;
    if (typeof token !== 'string') throw rpcFailure('invalid_request', 'token must be a string');
    return this.introspection.introspect(token);
  }

  /**
   * The devportal's generate-token. The registry checked the consumer secret before asking, and only the registry
   * may publish this subject (the bus's permissions, bus-access.ts): the key must still be known, active and allowed
   * the client_credentials grant here.
   */
  @MessagePattern(RPC_SUBJECTS.issueToken)
  async issue(@Payload() request: unknown): Promise<IssueTokenResponse> {
    const { consumerKey, validityPeriod, scopes } = (request ?? {}) as Record<string, unknown>;
    if (typeof consumerKey !== 'string') throw rpcFailure('invalid_request', 'consumerKey is required');
    if (validityPeriod !== undefined && validityPeriod !== null && (typeof validityPeriod !== 'number' && typeof validityPeriod !== 'string')) {
      throw rpcFailure('invalid_request', 'validityPeriod must be a number of seconds');
    }
    if (scopes !== undefined && scopes !== null && (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string'))) {
      throw rpcFailure('invalid_request', 'scopes must be a list of strings');
    }
    try {
      const client = await this.authenticator.lookup(consumerKey);
      if (!client || client.keyState !== 'ACTIVE') throw OAuth2Error.invalidClient();
      if (!client.grantTypes.includes('client_credentials')) throw OAuth2Error.unauthorizedClient();
      const lifetime = resolveValidityPeriod(
        validityPeriod === undefined || validityPeriod === null ? undefined : String(validityPeriod),
        client.validityTime,
        this.config.MAX_TOKEN_VALIDITY,
      );
      const requested = parseScopeParameter(((scopes as string[] | undefined) ?? []).join(' '));
      const response = await this.clientCredentials.issueFor(client, requested, lifetime);
      return { accessToken: response.access_token, tokenScopes: response.scope.split(' '), validityTime: response.expires_in };
    } catch (error) {
      if (error instanceof OAuth2Error) throw rpcFailure(toRpcCode(error), error.description);
      throw error;
    }
  }
}

function toRpcCode(error: OAuth2Error): RpcErrorCode {
  switch (error.code) {
    case 'invalid_client':
    case 'too_many_requests':
      return 'invalid_client';
    case 'unauthorized_client':
      return 'unauthorized_client';
    case 'invalid_scope':
      return 'invalid_scope';
    case 'temporarily_unavailable':
      return 'unavailable';
    default:
      return 'invalid_request';
  }
}
