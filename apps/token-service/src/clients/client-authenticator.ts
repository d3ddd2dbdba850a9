import { Inject, Injectable } from '@nestjs/common';
import { ClientRecord, consumerSecretMatches } from '@keymint/contracts';
import { RpcError } from '@keymint/messaging';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters } from '../oauth2/request-parameters';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { parseBasicAuthorization, PresentedCredentials } from './basic-credentials';
import { ClientCache } from './client-cache';

/** What a request carries that client authentication looks at. */
export interface ClientAuthenticationInput {
  authorization: string | undefined;
  parameters: OAuth2Parameters;
  address: string;
}

/**
 * Step "which credentials": Basic header or client_id + client_secret in the
 * body, never both, never a mismatching client_id; none at all is 401.
 */
export function presentedCredentials(authorization: string | undefined, parameters: OAuth2Parameters): PresentedCredentials {
  const basic = parseBasicAuthorization(authorization);
  const bodyId = parameters.client_id;
  const bodySecret = parameters.client_secret;
  if (basic.kind === 'malformed') throw OAuth2Error.invalidClient('The Basic authorization header is malformed.');
  if (basic.kind === 'credentials') {
    if (bodySecret !== undefined) throw OAuth2Error.invalidRequest('Use one client authentication method, not both.');
    if (bodyId !== undefined && bodyId !== basic.username) {
      throw OAuth2Error.invalidRequest('client_id does not match the authenticated client.');
    }
    return { clientId: basic.username, clientSecret: basic.password, method: 'basic' };
  }
  if (bodyId !== undefined && bodySecret !== undefined && bodyId !== '') {
    return { clientId: bodyId, clientSecret: bodySecret, method: 'post' };
  }
  throw OAuth2Error.invalidClient('Client authentication is required.');
}

/** Client authentication as one unit: rate limit → client lookup → secret check. */
@Injectable()
export class ClientAuthenticator {
  constructor(
    @Inject(ClientCache) private readonly clients: ClientCache,
    @Inject(AuthFailureLimiter) private readonly limiter: AuthFailureLimiter,
  ) {}

  async authenticateRequest(input: ClientAuthenticationInput): Promise<ClientRecord> {
    const credentials = presentedCredentials(input.authorization, input.parameters);
    return this.authenticate(credentials.clientId, credentials.clientSecret, input.address);
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
