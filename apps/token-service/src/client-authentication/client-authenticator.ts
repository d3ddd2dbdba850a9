import { Inject, Injectable } from '@nestjs/common';
import { ClientRecord, matchingSecret } from '@keymint/contracts';
import { RpcError } from '@keymint/messaging';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters } from '../oauth2/request-parameters';
import { ClientCache } from './client-cache';
import { SecretUseReporter } from './secret-use-reporter';
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
    @Inject(SignInLimiter) private readonly limiter: SignInLimiter,
    @Inject(SecretUseReporter) private readonly secretUse: SecretUseReporter,
  ) {}

  /** The token and revocation endpoints' first steps. */
  async authenticateRequest(request: OAuth2HttpRequest): Promise<AuthenticatedRequest> {
    const { parameters, credentials, address } = openRequest(request);
    const client = await this.authenticate(credentials.clientId, credentials.clientSecret, address);
    return { client, parameters, address };
  }

  /**
   * The failure limit is asked again after the lookup's wait, and the secret's verdict is counted with no
   * wait between: requests of a concurrent burst are checked and counted one after the other, so no more
   * than the limit of them is ever checked. A failure past the limit (counted by another replica meanwhile)
   * answers 429 too.
   */
  async authenticate(consumerKey: string, consumerSecret: string, address: string): Promise<ClientRecord> {
    this.refuseWhileBlocked(consumerKey, address);
    const client = await this.lookup(consumerKey);
    this.refuseWhileBlocked(consumerKey, address);
    // Any unexpired secret of the key; an expired one is refused, and counted, exactly as a wrong one.
    const secret = client && client.keyState === 'ACTIVE' ? matchingSecret(consumerSecret, client.secrets, Date.now()) : null;
    if (!client || !secret) {
      const waitSeconds = await this.limiter.recordFailure(consumerKey, address);
      throw waitSeconds > 0 ? OAuth2Error.tooManyRequests(waitSeconds) : OAuth2Error.invalidClient();
    }
    this.secretUse.record(secret.secretId);
    return client;
  }

  private refuseWhileBlocked(consumerKey: string, address: string): void {
    const waitSeconds = this.limiter.waitSeconds(consumerKey, address);
    if (waitSeconds > 0) throw OAuth2Error.tooManyRequests(waitSeconds);
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
