import { ServiceUrls } from '../context';
import { RequestFailedError } from '../errors';
import { ApiClient, segment } from '../http/api-client';
import { HttpTransport } from '../http/http-transport';
import { ClientCredentials, postTokenEndpoint, TokenResponse } from '../http/token-client';
import { ADMIN, Application, ApplicationKey, ApplicationList, DEVPORTAL, KeyList, User } from '../commands/registry-shapes';
import { keyPath } from '../commands/resolve';
import { StoredCredentials } from './credentials-store';

/** The application `keymint login` keeps for each user (one per owner, reused by every later login). */
export const CLI_APPLICATION_NAME = 'keymint-cli';
const CLI_GRANT_TYPES = ['password', 'refresh_token'];
const SUBSCRIBER_SCOPES = ['apim:subscribe'];
const ADMIN_SCOPES = ['apim:subscribe', 'apim:admin'];

/**
 * keymint login: with the user's Basic credentials, find or create the user's
 * `keymint-cli` application and its PRODUCTION key (password + refresh_token,
 * the apim:* scopes the user may hold), then trade the password for an access
 * and a refresh token. Only those and the client credentials are kept.
 */
export class LoginFlow {
  constructor(
    private readonly api: ApiClient,
    private readonly transport: HttpTransport,
    private readonly urls: ServiceUrls,
    private readonly now: () => number,
  ) {}

  async run(username: string, password: string, previous: StoredCredentials | null): Promise<StoredCredentials> {
    const { canonicalUsername, scopes } = await this.whoAmI(username);
    const application = await this.findOrCreateApplication(canonicalUsername);
    const { key, client, reused } = await this.ensureKey(application.applicationId, scopes, previous);
    let token: TokenResponse;
    try {
      token = await this.passwordGrant(client, username, password, scopes);
    } catch (error) {
      // The kept secret may have been regenerated since (on another machine): get a new one once.
      if (!(error instanceof RequestFailedError) || error.status !== 401 || !reused) throw error;
      const fresh = await this.regenerateSecret(application.applicationId, key);
      token = await this.passwordGrant(fresh, username, password, scopes);
      return this.credentials(canonicalUsername, fresh, token);
    }
    return this.credentials(canonicalUsername, client, token);
  }

  /** An admin can read its own user record (and so gets apim:admin); anyone else is told 403. */
  private async whoAmI(username: string): Promise<{ canonicalUsername: string; scopes: string[] }> {
    try {
      const user = await this.api.call<User>('registry', { method: 'GET', path: `${ADMIN}/users/${segment(username)}` });
      return { canonicalUsername: user.username, scopes: user.roles.includes('admin') ? ADMIN_SCOPES : SUBSCRIBER_SCOPES };
    } catch (error) {
      if (error instanceof RequestFailedError && error.status === 401) {
        throw new RequestFailedError(`login failed: wrong username or password for ${this.urls.registry}`, 401);
      }
      if (error instanceof RequestFailedError && error.status === 403) {
        return { canonicalUsername: username.toLowerCase(), scopes: SUBSCRIBER_SCOPES };
      }
      throw error;
    }
  }

  private async findOrCreateApplication(owner: string): Promise<Application> {
    const answer = await this.api
      .call<ApplicationList>('registry', {
        method: 'GET',
        path: `${DEVPORTAL}/applications`,
        query: { query: CLI_APPLICATION_NAME, limit: 100 },
      })
      .catch((error: unknown) => {
        if (error instanceof RequestFailedError && error.status === 403) {
          throw new RequestFailedError(`login failed: ${owner} has neither the subscriber nor the admin role (end users only use the password grant of applications)`, 403);
        }
        throw error;
      });
    // An admin lists everyone's applications: take only its own.
    const existing = answer.list.find((application) => application.name === CLI_APPLICATION_NAME && application.owner === owner);
    if (existing) return existing;
    return this.api.call<Application>('registry', {
      method: 'POST',
      path: `${DEVPORTAL}/applications`,
      body: { name: CLI_APPLICATION_NAME, description: 'Created by keymint login for the keymint command-line tool', tokenType: 'JWT' },
    });
  }

  /**
   * The PRODUCTION key with the grants and scopes the CLI needs. Its secret is
   * shown only at generation: reuse the one kept from the last login on this
   * machine, else regenerate it (which revokes that application's older tokens).
   */
  private async ensureKey(
    applicationId: string,
    scopes: string[],
    previous: StoredCredentials | null,
  ): Promise<{ key: ApplicationKey; client: ClientCredentials; reused: boolean }> {
    const base = `${DEVPORTAL}/applications/${segment(applicationId)}`;
    const keys = await this.api.call<KeyList>('registry', { method: 'GET', path: `${base}/oauth-keys` });
    let key = keys.list.find((candidate) => candidate.keyType === 'PRODUCTION');
    if (!key) {
      const generated = await this.api.call<ApplicationKey>('registry', {
        method: 'POST',
        path: `${base}/generate-keys`,
        body: { keyType: 'PRODUCTION', grantTypesToBeSupported: CLI_GRANT_TYPES, scopes, validityTime: 3600 },
      });
      if (!generated.consumerSecret) throw new RequestFailedError('the registry generated a key without returning its secret');
      return { key: generated, client: { consumerKey: generated.consumerKey, consumerSecret: generated.consumerSecret }, reused: false };
    }
    const hasAll = (have: string[] | undefined, want: string[]) => want.every((item) => (have ?? []).includes(item));
    if (!hasAll(key.supportedGrantTypes, CLI_GRANT_TYPES) || !hasAll(key.scopes, scopes)) {
      key = await this.api.call<ApplicationKey>('registry', {
        method: 'PUT',
        path: keyPath(applicationId, key.keyMappingId),
        body: {
          supportedGrantTypes: [...new Set([...(key.supportedGrantTypes ?? []), ...CLI_GRANT_TYPES])],
          scopes: [...new Set([...(key.scopes ?? []), ...scopes])],
        },
      });
    }
    if (previous && previous.consumerKey === key.consumerKey) {
      return { key, client: { consumerKey: previous.consumerKey, consumerSecret: previous.consumerSecret }, reused: true };
    }
    return { key, client: await this.regenerateSecret(applicationId, key), reused: false };
  }

  private async regenerateSecret(applicationId: string, key: ApplicationKey): Promise<ClientCredentials> {
    const answer = await this.api.call<ClientCredentials>('registry', {
      method: 'POST',
      path: `${keyPath(applicationId, key.keyMappingId)}/regenerate-secret`,
    });
    return { consumerKey: answer.consumerKey, consumerSecret: answer.consumerSecret };
  }

  private passwordGrant(client: ClientCredentials, username: string, password: string, scopes: string[]): Promise<TokenResponse> {
    return postTokenEndpoint(this.transport, this.urls.tokenUrl, client, {
      grant_type: 'password',
      username,
      password,
      scope: scopes.join(' '),
    });
  }

  private credentials(username: string, client: ClientCredentials, token: TokenResponse): StoredCredentials {
    return {
      registry: this.urls.registry,
      tokenUrl: this.urls.tokenUrl,
      analytics: this.urls.analytics,
      username,
      consumerKey: client.consumerKey,
      consumerSecret: client.consumerSecret,
      accessToken: token.access_token,
      refreshToken: token.refresh_token,
      expiresAt: new Date(this.now() + token.expires_in * 1000).toISOString(),
      scope: token.scope ?? '',
    };
  }
}
