import { Command } from 'commander';
import { CliEnv, DEFAULT_URLS } from './cli-env';
import { RequestFailedError } from './errors';
import { ApiClient, AuthProvider, ServiceName } from './http/api-client';
import { ClientCertificate, HttpTransport, TlsOptions } from './http/http-transport';
import { SecretReader, Terminal } from './input/secrets';
import { Output } from './output/output';
import { BasicAuth, NoAuth, SessionAuth } from './session/auth-providers';
import { CredentialsStore, credentialsPath, StoredCredentials } from './session/credentials-store';

/** Everything the CLI touches outside itself; main.ts gives the real ones, tests fakes. */
export interface CliDependencies {
  env: CliEnv;
  terminal: Terminal;
  stdout(text: string): void;
  stderr(text: string): void;
  createTransport(tls: TlsOptions): HttpTransport;
  now(): number;
}

/** The global options (see cli.ts), as commander hands them over. */
export interface GlobalOptions {
  registry?: string;
  tokenUrl?: string;
  analytics?: string;
  json?: boolean;
  insecure?: boolean;
  ca?: string;
  user?: string;
  passwordStdin?: boolean;
}

export interface ServiceUrls {
  registry: string;
  tokenUrl: string;
  analytics: string;
}

/** What a command needs, built from the global options of its invocation. */
export class CommandContext {
  readonly output: Output;
  readonly secrets: SecretReader;
  readonly store: CredentialsStore;
  private storedCredentials?: StoredCredentials | null;
  private httpTransport?: HttpTransport;
  private apiClient?: ApiClient;
  private basicPassword?: Promise<string>;

  constructor(
    readonly options: GlobalOptions,
    readonly dependencies: CliDependencies,
  ) {
    this.output = new Output(dependencies.stdout, options.json === true);
    this.secrets = new SecretReader(dependencies.terminal, options.passwordStdin === true);
    this.store = new CredentialsStore(credentialsPath(dependencies.env));
  }

  static of(command: Command, dependencies: CliDependencies): CommandContext {
    return new CommandContext(command.optsWithGlobals<GlobalOptions>(), dependencies);
  }

  get transport(): HttpTransport {
    this.httpTransport ??= this.dependencies.createTransport({ insecure: this.options.insecure === true, caFile: this.options.ca });
    return this.httpTransport;
  }

  /** A transport that presents the client's certificate in every TLS handshake (mutual TLS); same trust as `transport`. */
  transportWithCertificate(clientCertificate: ClientCertificate): HttpTransport {
    return this.dependencies.createTransport({ insecure: this.options.insecure === true, caFile: this.options.ca, clientCertificate });
  }

  stored(): StoredCredentials | null {
    if (this.storedCredentials === undefined) this.storedCredentials = this.store.read();
    return this.storedCredentials;
  }

  /** Flag, else environment, else where the stored login points, else the local cluster's defaults. */
  urls(): ServiceUrls {
    const { env } = this.dependencies;
    const pick = (flag: string | undefined, variable: string | undefined, key: keyof ServiceUrls) =>
      trimSlash(flag ?? variable ?? this.storedIfNeeded()?.[key] ?? DEFAULT_URLS[key]);
    return {
      registry: pick(this.options.registry, env.KEYMINT_REGISTRY_URL, 'registry'),
      tokenUrl: tokenEndpointOf(pick(this.options.tokenUrl, env.KEYMINT_TOKEN_URL, 'tokenUrl')),
      analytics: pick(this.options.analytics, env.KEYMINT_ANALYTICS_URL, 'analytics'),
    };
  }

  now(): number {
    return this.dependencies.now();
  }

  /** Registry and analytics calls with --user's Basic credentials, else the stored login's token. */
  api(): ApiClient {
    if (this.apiClient) return this.apiClient;
    const urls = this.urls();
    const baseUrls: Record<ServiceName, string> = { registry: urls.registry, analytics: urls.analytics };
    let auth: Record<ServiceName, AuthProvider>;
    const { user } = this.options;
    if (user !== undefined) {
      const basic = new BasicAuth(user, () => this.callerPassword(user));
      auth = { registry: basic, analytics: basic };
    } else {
      const stored = this.stored();
      const session = stored ? new SessionAuth(stored, this.store, this.transport, () => this.now()) : undefined;
      // The stored token goes only to the servers it was obtained for, never to another --registry.
      const forService = (service: ServiceName): AuthProvider =>
        session && stored && sameOrigin(stored[service], baseUrls[service]) ? session : new NotLoggedInThere(stored?.[service], baseUrls[service]);
      auth = { registry: forService('registry'), analytics: forService('analytics') };
    }
    this.apiClient = new ApiClient(this.transport, baseUrls, auth);
    return this.apiClient;
  }

  /**
   * With --user, reads the caller's password now, so that on --password-stdin it
   * is the first line, before any password the command itself asks for.
   */
  async readCallerPassword(): Promise<void> {
    if (this.options.user !== undefined) await this.callerPassword(this.options.user);
  }

  private callerPassword(user: string): Promise<string> {
    this.basicPassword ??= this.secrets.password(`password for ${user}`);
    return this.basicPassword;
  }

  /** For URL defaults only: --user calls ignore the login, and a damaged file must not stop login from replacing it. */
  private storedIfNeeded(): StoredCredentials | null {
    if (this.options.user !== undefined) return null;
    try {
      return this.stored();
    } catch (error) {
      if (error instanceof RequestFailedError) return null;
      throw error;
    }
  }
}

class NotLoggedInThere extends NoAuth {
  constructor(
    private readonly loggedInTo: string | undefined,
    private readonly target: string,
  ) {
    super();
  }

  override async authorization(): Promise<string> {
    if (this.loggedInTo === undefined) return super.authorization();
    throw new RequestFailedError(`logged in to ${this.loggedInTo}, not to ${this.target}: run 'keymint login' for it (or pass --user)`);
  }
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A token service's base URL (`http://localhost:8280`) means its token endpoint there; a URL with a path is taken as given. */
export function tokenEndpointOf(url: string): string {
  try {
    return new URL(url).pathname === '/' ? `${url}/token` : url;
  } catch {
    return url;
  }
}

function sameOrigin(left: string, right: string): boolean {
  try {
    return new URL(left).origin === new URL(right).origin;
  } catch {
    return false;
  }
}
