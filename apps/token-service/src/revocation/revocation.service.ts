import { Inject, Injectable } from '@nestjs/common';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { parseParameters, rejectQueryCredentials } from '../oauth2/request-parameters';
import { OAuth2HttpRequest } from '../token-endpoint/token-endpoint.service';
import { TokenStore } from '../tokens/token-store';

/** RFC 7009; token_type_hint is accepted but not needed (one lookup finds either kind). */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(TokenStore) private readonly store: TokenStore,
  ) {}

  async revokeRequest(request: OAuth2HttpRequest): Promise<void> {
    const parameters = parseParameters(request.body);
    rejectQueryCredentials(request.query);
    const client = await this.authenticator.authenticateRequest({ authorization: request.authorization, parameters, address: request.address });
    const token = parameters.token;
    if (!token) throw OAuth2Error.invalidRequest('token is required.');
    const row = await this.store.find(token);
    if (!row) return;
    if (row.consumerKey !== client.consumerKey) throw OAuth2Error.invalidRequest('The token was not issued to this client.');
    if (row.revokedAt === null) await this.store.revoke(row, 'revoked_by_client');
  }
}
