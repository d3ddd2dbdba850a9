import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { RequestContext } from '@keymint/telemetry';
import { IssueTokenRequest, IssueTokenResponse, RPC_SUBJECTS, RpcErrorCode } from '@keymint/contracts';
import { CallerRequestContext, rpcFailure } from '@keymint/messaging';
import { ClientAuthenticator } from '../../client-authentication/client-authenticator';
import { OAuth2Error } from '../../oauth2/oauth2-error';
import { TokenEndpointService } from '../token-endpoint.service';

/**
 * The devportal's generate-token (tokens.rpc.issue.v2): the client-credentials
 * grant over the bus instead of HTTP, through the same steps as POST /token
 * after client authentication. The registry checked the consumer secret before
 * asking, and only the registry may publish this subject (bus-access.ts): the
 * key must still be known and active here. The transport has checked the
 * payload against its schema (libs/contracts) before this runs.
 */
@Controller()
export class GenerateTokenRpc {
  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(TokenEndpointService) private readonly endpoint: TokenEndpointService,
  ) {}

  @MessagePattern(RPC_SUBJECTS.issueToken)
  async issue(@Payload() { consumerKey, validityPeriod, scopes }: IssueTokenRequest, @CallerRequestContext() origin: RequestContext | undefined): Promise<IssueTokenResponse> {
    try {
      // The token's event carries the registry's request (origin).
      const client = await this.authenticator.lookup(consumerKey, origin);
      if (!client || client.keyState !== 'ACTIVE') throw OAuth2Error.invalidClient();
      const parameters: Record<string, string> = { grant_type: 'client_credentials', scope: (scopes ?? []).join(' ') };
      if (validityPeriod !== undefined) parameters.validity_period = String(validityPeriod);
      // The devportal's form sends the secret in its body, and the registry checked it against the key's secrets.
      const response = await this.endpoint.grant({ client, parameters, address: 'registry', clientAuthMethod: 'client_secret_post', origin });
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
