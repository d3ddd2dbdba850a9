import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientRecord, matchingSecret, TokenEndpointAuthMethod } from '@keymint/contracts';
import { RpcError } from '@keymint/messaging';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters } from '../oauth2/request-parameters';
import { JtiReplays } from '../oauth2/jti-replays';
import { verifyClientAssertion, VerifiedAssertion } from './client-assertion';
import { ClientCache } from './client-cache';
import { SecretUseReporter } from './secret-use-reporter';
import { OAuth2HttpRequest, openRequest } from './oauth2-request';
import { PresentedCredentials } from './presented-credentials';

/** A request whose client has proved who it is. */
export interface AuthenticatedRequest {
  client: ClientRecord;
  parameters: OAuth2Parameters;
  address: string;
  clientAuthMethod: TokenEndpointAuthMethod;
}

/** Client authentication as one unit: open the request → rate limit → client lookup → method → secret or assertion check. */
@Injectable()
export class ClientAuthenticator {
  /** What a client assertion's `aud` may name: the issuer, or the token endpoint (either path). */
  private readonly audiences: string[];

  constructor(
    @Inject(CONFIG) config: Pick<TokenServiceConfig, 'ISSUER'>,
    @Inject(ClientCache) private readonly clients: ClientCache,
    @Inject(SignInLimiter) private readonly limiter: SignInLimiter,
    @Inject(JtiReplays) private readonly replays: JtiReplays,
    @Inject(SecretUseReporter) private readonly secretUse: SecretUseReporter,
  ) {
    const origin = new URL(config.ISSUER).origin;
    this.audiences = [...new Set([config.ISSUER, `${origin}/oauth2/token`, `${origin}/token`])];
  }

  /** The token and revocation endpoints' first steps. */
  async authenticateRequest(request: OAuth2HttpRequest): Promise<AuthenticatedRequest> {
    const { parameters, credentials, address } = openRequest(request);
    const client = await this.authenticate(credentials, address);
    return { client, parameters, address, clientAuthMethod: credentials.method };
  }

  /**
   * The failure limit is asked again after the lookup's wait, and the verdict on the secret or the
   * assertion is counted with no wait between: requests of a concurrent burst are checked and counted one
   * after the other, so no more than the limit of them is ever checked. A failure past the limit (counted
   * by another replica meanwhile) answers 429 too. Every refusal, an assertion's replay included, counts.
   */
  async authenticate(credentials: PresentedCredentials, address: string): Promise<ClientRecord> {
    const { clientId } = credentials;
    this.refuseWhileBlocked(clientId, address);
    const client = await this.lookup(clientId);
    this.refuseWhileBlocked(clientId, address);
    let assertion: VerifiedAssertion | undefined;
    try {
      if (!client || client.keyState !== 'ACTIVE') throw OAuth2Error.invalidClient();
      if (!client.tokenEndpointAuthMethods.includes(credentials.method)) {
        throw OAuth2Error.invalidClient(`This client may not authenticate with ${credentials.method}.`);
      }
      if (credentials.method === 'private_key_jwt') {
        assertion = verifyClientAssertion(credentials.assertion, client, this.audiences);
      } else {
        // Any unexpired secret of the key; an expired one is refused, and counted, exactly as a wrong one.
        const secret = matchingSecret(credentials.clientSecret, client.secrets, Date.now());
        if (!secret) throw OAuth2Error.invalidClient();
        this.secretUse.record(secret.secretId);
      }
    } catch (error) {
      throw await this.failed(error, clientId, address);
    }
    if (assertion && !(await this.replays.firstUse(clientId, assertion.jti, assertion.expiresAt))) {
      throw await this.failed(OAuth2Error.invalidClient('client_assertion jti was already used: make a new assertion for every request.'), clientId, address);
    }
    return client!;
  }

  /** Counts a refusal; past the limit it becomes 429. */
  private async failed(error: unknown, clientId: string, address: string): Promise<unknown> {
    if (!(error instanceof OAuth2Error)) return error;
    const waitSeconds = await this.limiter.recordFailure(clientId, address);
    return waitSeconds > 0 ? OAuth2Error.tooManyRequests(waitSeconds) : error;
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
