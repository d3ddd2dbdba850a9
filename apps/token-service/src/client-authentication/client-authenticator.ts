import { X509Certificate } from 'node:crypto';
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
import { MutualTlsAuthenticator } from './mutual-tls';
import { SecretUseReporter } from './secret-use-reporter';
import { OAuth2HttpRequest, openRequest } from './oauth2-request';
import { PresentedCredentials } from './presented-credentials';

/** A client that has proved who it is, and how it did. */
export interface AuthenticatedClient {
  client: ClientRecord;
  method: TokenEndpointAuthMethod;
}

/** A request whose client has proved who it is. */
export interface AuthenticatedRequest {
  client: ClientRecord;
  parameters: OAuth2Parameters;
  address: string;
  clientAuthMethod: TokenEndpointAuthMethod;
  /** The client certificate the request came with, if any: whatever the method, it binds the tokens (RFC 8705 §3). */
  certificate?: X509Certificate;
}

/** Client authentication as one unit: open the request → rate limit → client lookup → method → secret, assertion or certificate check. */
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
    @Inject(MutualTlsAuthenticator) private readonly mutualTls: MutualTlsAuthenticator,
  ) {
    const origin = new URL(config.ISSUER).origin;
    this.audiences = [...new Set([config.ISSUER, `${origin}/oauth2/token`, `${origin}/token`])];
  }

  /** The token and revocation endpoints' first steps. */
  async authenticateRequest(request: OAuth2HttpRequest): Promise<AuthenticatedRequest> {
    const { parameters, credentials, address, certificate } = openRequest(request);
    const { client, method } = await this.authenticate(credentials, address);
    return { client, parameters, address, clientAuthMethod: method, certificate };
  }

  /**
   * The failure limit is asked again after the lookup's wait, and the verdict on the secret or the
   * assertion is counted with no wait between: requests of a concurrent burst are checked and counted one
   * after the other, so no more than the limit of them is ever checked. A failure past the limit (counted
   * by another replica meanwhile) answers 429 too. Every refusal, an assertion's replay included, counts.
   */
  async authenticate(credentials: PresentedCredentials, address: string): Promise<AuthenticatedClient> {
    const { clientId } = credentials;
    this.refuseWhileBlocked(clientId, address);
    const client = await this.lookup(clientId);
    this.refuseWhileBlocked(clientId, address);
    let assertion: VerifiedAssertion | undefined;
    let method: TokenEndpointAuthMethod | undefined;
    try {
      if (!client || client.keyState !== 'ACTIVE') throw OAuth2Error.invalidClient();
      // A certificate with client_id alone: tls_client_auth or self_signed_tls_client_auth, whichever of the key's accepts it.
      method = credentials.method === 'mutual_tls' ? this.mutualTls.authenticate(client, credentials.certificate) : credentials.method;
      if (!client.tokenEndpointAuthMethods.includes(method)) {
        throw OAuth2Error.invalidClient(`This client may not authenticate with ${method}.`);
      }
      if (credentials.method === 'private_key_jwt') {
        assertion = verifyClientAssertion(credentials.assertion, client, this.audiences);
      } else if (credentials.method !== 'mutual_tls') {
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
    return { client: client!, method: method! };
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
