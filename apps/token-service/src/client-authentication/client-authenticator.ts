import { Inject, Injectable } from '@nestjs/common';
import { ClientRecord, consumerSecretMatches } from '@keymint/contracts';
import { RpcError } from '@keymint/messaging';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters } from '../oauth2/request-parameters';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { ClientCache } from './client-cache';
import { OAuth2HttpRequest, openRequest } from './oauth2-request';

/** A request whose client has proved who it is. */
export interface AuthenticatedRequest {
  client: ClientRecord;
  parameters: OAuth2Parameters;
  address: string;
}

/** Client authentication as one unit: open the request → rate limit → client lookup → secret check. */
@Injectable()
export class ClientAuthenticator {
  constructor(
    @Inject(ClientCache) private readonly clients: ClientCache,
    @Inject(AuthFailureLimiter) private readonly limiter: AuthFailureLimiter,
  ) {}

  /** The token and revocation endpoints' first steps. */
  async authenticateRequest(request: OAuth2HttpRequest): Promise<AuthenticatedRequest> {
    const { parameters, credentials, address } = openRequest(request);
    const client = await this.authenticate(credentials.clientId, credentials.clientSecret, address);
    return { client, parameters, address };
  }

  async authenticate(consumerKey: string, consumerSecret: string, address: string): Promise<ClientRecord> {
    const blockedFor = this.limiter.blockedFor('client', consumerKey, address);
    if (blockedFor > 0) throw OAuth2Error.tooManyRequests(blockedFor);
    const client = await this.lookup(consumerKey);
    if (!client || client.keyState !== 'ACTIVE' || !consumerSecretMatches(consumerSecret, client.consumerSecretHash)) {
      this.limiter.recordFailure('client', consumerKey, address);
      throw OAuth2Error.invalidClient();
    }
    return client;
  }

  /** The client without checking a secret (for callers that proved something else, e.g. an admin). */
  async lookup(consumerKey: string): Promise<ClientRecord | null> {
    try {
      return await this.clients.get(consumerKey);
    } catch (error) {
      if (error instanceof RpcError) {
        throw OAuth2Error.temporarilyUnavailable('The client registry is unavailable; try again later.');
      }
      throw error;
    }
  }
}
