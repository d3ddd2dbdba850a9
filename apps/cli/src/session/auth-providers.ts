import { RequestFailedError } from '../errors';
import { AuthProvider } from '../http/api-client';
import { HttpTransport } from '../http/http-transport';
import { postTokenEndpoint } from '../http/token-client';
import { CredentialsStore, StoredCredentials } from './credentials-store';

/** Refresh this long before expiry so a token does not lapse in flight. */
const REFRESH_MARGIN_MS = 60_000;

/** --user: HTTP Basic on every call (scripts without a login). */
export class BasicAuth implements AuthProvider {
  constructor(
    private readonly username: string,
    private readonly password: () => Promise<string>,
  ) {}

  async authorization(): Promise<string> {
    return `Basic ${Buffer.from(`${this.username}:${await this.password()}`).toString('base64')}`;
  }

  async renew(): Promise<boolean> {
    return false;
  }
}

/** Nobody logged in: fail with what to do, before any request is sent. */
export class NoAuth implements AuthProvider {
  async authorization(): Promise<string> {
    throw new RequestFailedError("not logged in: run 'keymint login' (or pass --user with --password-stdin)");
  }

  async renew(): Promise<boolean> {
    return false;
  }
}

/** The stored login: Bearer, refreshed with the refresh token when it expires (and saved again). */
export class SessionAuth implements AuthProvider {
  constructor(
    private credentials: StoredCredentials,
    private readonly store: CredentialsStore,
    private readonly transport: HttpTransport,
    private readonly now: () => number,
  ) {}

  async authorization(): Promise<string> {
    if (Date.parse(this.credentials.expiresAt) - REFRESH_MARGIN_MS <= this.now()) await this.refresh();
    return `Bearer ${this.credentials.accessToken}`;
  }

  async renew(): Promise<boolean> {
    await this.refresh();
    return true;
  }

  private async refresh(): Promise<void> {
    const { refreshToken } = this.credentials;
    if (!refreshToken) throw new RequestFailedError("your login has expired: run 'keymint login' again");
    let token;
    try {
      token = await postTokenEndpoint(this.transport, this.credentials.tokenUrl, this.credentials, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });
    } catch (error) {
      if (error instanceof RequestFailedError && error.status !== undefined && error.status < 500) {
        throw new RequestFailedError(`your login has expired or was revoked (${error.message}): run 'keymint login' again`, error.status);
      }
      throw error;
    }
    this.credentials = {
      ...this.credentials,
      accessToken: token.access_token,
      // Refresh tokens rotate on use (docs/token-api.md, "Refresh token grant"): keep the new one.
      refreshToken: token.refresh_token ?? refreshToken,
      expiresAt: new Date(this.now() + token.expires_in * 1000).toISOString(),
      scope: token.scope ?? this.credentials.scope,
    };
    this.store.write(this.credentials);
  }
}
