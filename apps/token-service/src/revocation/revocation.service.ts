import { Inject, Injectable } from '@nestjs/common';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { OAuth2HttpRequest } from '../client-authentication/oauth2-request';
import { RevocationRequestSchema } from '../oauth2/http-schemas';
import { revocations } from '../metrics/token-metrics';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { readParameters } from '../oauth2/request-parameters';
import { TokenStore } from '../token-storage/token-store';
import { TokenRevoker } from './token-revoker';

/** RFC 7009; token_type_hint is accepted but not needed (one lookup finds either kind). */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(TokenStore) private readonly store: TokenStore,
    @Inject(TokenRevoker) private readonly revoker: TokenRevoker,
  ) {}

  async revokeRequest(request: OAuth2HttpRequest): Promise<void> {
    const { client, parameters, origin } = await this.authenticator.authenticateRequest(request, 'revoke');
    const { token } = readParameters(RevocationRequestSchema, parameters);
    const row = await this.store.find(token);
    if (!row) {
      revocations.labels({ result: 'unknown_token' }).inc();
      return;
    }
    if (row.consumerKey !== client.consumerKey) {
      revocations.labels({ result: 'not_owner' }).inc();
      throw OAuth2Error.invalidRequest('The token was not issued to this client.');
    }
    if (row.revokedAt !== null) {
      revocations.labels({ result: 'already_revoked' }).inc();
      return;
    }
    await this.revoker.revokeToken(row, 'revoked_by_client', origin);
    revocations.labels({ result: 'revoked' }).inc();
  }
}
