import { randomBytes } from 'node:crypto';
import { NatsConnection, Subscription } from 'nats';
import {
  AuthenticateUserRequest,
  AuthenticateUserResponse,
  ClientRecord,
  GetClientRequest,
  GetClientResponse,
  hashConsumerSecret,
  RPC_SUBJECTS,
  RpcErrorBody,
  RpcRequest,
  RpcResponse,
  RpcSubject,
} from '@keymint/contracts';
import { NatsClient } from '@keymint/messaging';
import { Bus, connectAs } from '../../../test/support/bus';

/**
 * A stand-in for the application registry's two RPCs, speaking Nest's NATS
 * wire format (server-nats.js / client-nats.js): request JSON
 * `{pattern, data, id}` on the subject with a reply inbox; answer JSON
 * `{id, response, isDisposed: true}` or `{id, err, isDisposed: true}`.
 */
export interface FakeUser {
  password: string;
  roles: string[];
}

export class FakeRegistry {
  readonly clients = new Map<string, ClientRecord>();
  readonly users = new Map<string, FakeUser>();
  readonly calls = { getClient: 0, authenticate: 0 };
  /** The client address of every user sign-in asked for (the registry counts failures per user and address). */
  readonly signInAddresses: string[] = [];
  /** Users the registry refuses without a check (too many failures): username → seconds to wait. */
  readonly throttled = new Map<string, number>();
  private subscriptions: Subscription[] = [];

  private constructor(private readonly client: NatsClient) {}

  /** Connected as the registry's bus user (it alone may answer these subjects and publish registry events), REGISTRY stream created. */
  static async start(bus: Bus): Promise<FakeRegistry> {
    const registry = new FakeRegistry(await connectAs(bus, 'application-registry', 'token-service-e2e-fake-registry'));
    registry.up();
    await registry.connection.flush();
    return registry;
  }

  /** Registers a key and returns its secret (the registry keeps only the hash). */
  addClient(overrides: Partial<ClientRecord> & { consumerKey: string }, secret = randomBytes(24).toString('base64url')): string {
    this.clients.set(overrides.consumerKey, {
      secrets: [{ secretId: `secret-${overrides.consumerKey}`, hash: hashConsumerSecret(secret), expiresAt: null }],
      keyMappingId: `map-${overrides.consumerKey}`,
      keyType: 'PRODUCTION',
      keyState: 'ACTIVE',
      grantTypes: ['client_credentials'],
      scopes: [],
      validityTime: 3600,
      applicationId: `app-${overrides.consumerKey}`,
      applicationName: `Application ${overrides.consumerKey}`,
      owner: 'alice',
      tokenType: 'JWT',
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
      jwks: null,
      resources: [],
      requireDpop: false,
      ...overrides,
    });
    return secret;
  }

  /** Answers RPCs again. */
  up(): void {
    if (this.subscriptions.length > 0) return;
    this.subscriptions = [
      this.serve<GetClientRequest, GetClientResponse>(RPC_SUBJECTS.getClient, ({ consumerKey }) => {
        this.calls.getClient += 1;
        return this.clients.get(consumerKey) ?? null;
      }),
      this.serve<AuthenticateUserRequest, AuthenticateUserResponse>(RPC_SUBJECTS.authenticateUser, ({ username, password, clientAddress }) => {
        this.calls.authenticate += 1;
        this.signInAddresses.push(clientAddress);
        const retryAfterSeconds = this.throttled.get(username);
        if (retryAfterSeconds !== undefined) return { authenticated: false, retryAfterSeconds };
        const user = this.users.get(username);
        return user && user.password === password ? { authenticated: true, username, roles: user.roles } : { authenticated: false };
      }),
    ];
  }

  /** Stops answering: the registry is down. */
  async down(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    await this.connection.flush();
  }

  /** Calls one of the token service's RPCs the way a Nest ClientNats would. */
  async call<S extends RpcSubject>(subject: S, data: RpcRequest<S>): Promise<{ response?: RpcResponse<S>; err?: RpcErrorBody }> {
    const id = randomBytes(8).toString('hex');
    const reply = await this.connection.request(subject, Buffer.from(JSON.stringify({ pattern: subject, data, id })), { timeout: 5000 });
    return JSON.parse(Buffer.from(reply.data).toString('utf8')) as { response?: RpcResponse<S>; err?: RpcErrorBody };
  }

  get connection(): NatsConnection {
    return this.client.connection;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private serve<Request, Response>(subject: string, answer: (request: Request) => Response): Subscription {
    return this.connection.subscribe(subject, {
      queue: 'application-registry',
      callback: (error, message) => {
        if (error || !message.reply) return;
        const request = JSON.parse(Buffer.from(message.data).toString('utf8')) as { pattern: string; data: Request; id: string };
        message.respond(Buffer.from(JSON.stringify({ id: request.id, response: answer(request.data), isDisposed: true })));
      },
    });
  }
}
