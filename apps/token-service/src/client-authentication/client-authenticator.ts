import { X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientRecord, matchingSecret, TokenEndpointAuthMethod } from '@keymint/contracts';
import { countRateLimited } from '@keymint/http-kit';
import { RpcError } from '@keymint/messaging';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import type { RequestContext } from '@keymint/telemetry';
import { ClientAuthenticationFailureReason, clientAuthenticationFailures } from '../metrics/token-metrics';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { OAuth2Parameters } from '../oauth2/request-parameters';
import { JtiReplays } from '../oauth2/jti-replays';
import { verifyClientAssertion, VerifiedAssertion } from './client-assertion';
import { ClientCache } from './client-cache';
import { MUTUAL_TLS_METHODS, MutualTlsAuthenticator } from './mutual-tls';
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
  /** The request's id and trace (OAuth2HttpRequest.origin). */
  origin: RequestContext;
}

/** The endpoints that authenticate clients (the label of their 429s in keymint_rate_limited_total). */
export type ClientAuthenticatingEndpoint = 'token' | 'revoke' | 'introspect';

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
  async authenticateRequest(request: OAuth2HttpRequest, endpoint: ClientAuthenticatingEndpoint): Promise<AuthenticatedRequest> {
    const { parameters, credentials, address, certificate, origin } = openRequest(request);
    const { client, method } = await this.authenticate(credentials, address, endpoint, origin);
    return { client, parameters, address, clientAuthMethod: method, certificate, origin };
  }

  /**
   * The failure limit is asked again after the lookup's wait, and the verdict on the secret or the
   * assertion is counted with no wait between: requests of a concurrent burst are checked and counted one
   * after the other, so no more than the limit of them is ever checked. A failure past the limit (counted
   * by another replica meanwhile) answers 429 too. Every refusal, an assertion's replay included, counts.
   * `endpoint` names where a 429 was answered, for the metrics; `origin` is the request's (a lookup's RPC carries it).
   */
  async authenticate(
    credentials: PresentedCredentials,
    address: string,
    endpoint: ClientAuthenticatingEndpoint,
    origin: RequestContext | undefined,
  ): Promise<AuthenticatedClient> {
    const { clientId } = credentials;
    this.refuseWhileBlocked(clientId, address, endpoint);
    const client = await this.lookup(clientId, origin);
    this.refuseWhileBlocked(clientId, address, endpoint);
    let assertion: VerifiedAssertion | undefined;
    let method: TokenEndpointAuthMethod | undefined;
    // The check under way, which is the reason when it throws (keymint_client_authentication_failures_total).
    let check: ClientAuthenticationFailureReason = 'unknown_client';
    try {
      if (!client) throw OAuth2Error.invalidClient();
      check = 'inactive_client';
      if (client.keyState !== 'ACTIVE') throw OAuth2Error.invalidClient();
      if (credentials.method === 'mutual_tls') {
        // A certificate with client_id alone: tls_client_auth or self_signed_tls_client_auth, whichever of the key's accepts it.
        check = MUTUAL_TLS_METHODS.some((allowed) => client.tokenEndpointAuthMethods.includes(allowed)) ? 'bad_certificate' : 'method_not_allowed';
        method = this.mutualTls.authenticate(client, credentials.certificate);
      } else {
        method = credentials.method;
      }
      check = 'method_not_allowed';
      if (!client.tokenEndpointAuthMethods.includes(method)) {
        throw OAuth2Error.invalidClient(`This client may not authenticate with ${method}.`);
      }
      if (credentials.method === 'private_key_jwt') {
        check = 'bad_assertion';
        assertion = verifyClientAssertion(credentials.assertion, client, this.audiences);
      } else if (credentials.method !== 'mutual_tls') {
        // Any unexpired secret of the key; an expired one is refused, and counted, exactly as a wrong one.
        const secret = matchingSecret(credentials.clientSecret, client.secrets, Date.now());
        if (!secret) {
          // Told apart for the metrics only, once the refusal is decided: the client's answer is the same.
          check = matchingSecret(credentials.clientSecret, client.secrets, -Infinity) ? 'expired_secret' : 'bad_secret';
          throw OAuth2Error.invalidClient();
        }
        this.secretUse.record(secret.secretId);
      }
    } catch (error) {
      throw await this.failed(error, credentials, method, check, address, endpoint);
    }
    if (assertion && !(await this.replays.firstUse(clientId, assertion.jti, assertion.expiresAt))) {
      const replayed = OAuth2Error.invalidClient('client_assertion jti was already used: make a new assertion for every request.');
      throw await this.failed(replayed, credentials, method, 'replayed_assertion', address, endpoint);
    }
    return { client: client!, method: method! };
  }

  /** Counts a refusal (the limit's count and the metrics); past the limit it becomes 429. */
  private async failed(
    error: unknown,
    credentials: PresentedCredentials,
    method: TokenEndpointAuthMethod | undefined,
    reason: ClientAuthenticationFailureReason,
    address: string,
    endpoint: ClientAuthenticatingEndpoint,
  ): Promise<unknown> {
    if (!(error instanceof OAuth2Error)) return error;
    // The limit first: nothing about the metric may keep a failure from being counted against the key.
    const waitSeconds = await this.limiter.recordFailure(credentials.clientId, address);
    clientAuthenticationFailures.labels({ reason, method: method ?? credentials.method }).inc();
    if (waitSeconds <= 0) return error;
    countRateLimited(endpoint, 'client');
    return OAuth2Error.tooManyRequests(waitSeconds);
  }

  private refuseWhileBlocked(consumerKey: string, address: string, endpoint: ClientAuthenticatingEndpoint): void {
    const waitSeconds = this.limiter.waitSeconds(consumerKey, address);
    if (waitSeconds <= 0) return;
    countRateLimited(endpoint, 'client');
    throw OAuth2Error.tooManyRequests(waitSeconds);
  }

  /** The client without checking a secret (for callers that proved something else, e.g. an admin), for the request `origin`. */
  async lookup(consumerKey: string, origin: RequestContext | undefined): Promise<ClientRecord | null> {
    try {
      return await this.clients.get(consumerKey, origin);
    } catch (error) {
      if (error instanceof RpcError) {
        throw OAuth2Error.temporarilyUnavailable('The client registry is unavailable; try again later.');
      }
      throw error;
    }
  }
}
