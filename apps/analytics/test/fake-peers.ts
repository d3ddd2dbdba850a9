import { NatsConnection, Subscription } from 'nats';
import {
  AuthenticateUserRequest,
  AuthenticateUserResponse,
  IntrospectRequest,
  IntrospectResponse,
  RPC_SUBJECTS,
  RpcSubject,
} from '@keymint/contracts';
import { Bus, plainConnectionAs, serverOf } from '../../../test/support/bus';

/**
 * Stand-ins for the registry's user.authenticate and the token service's
 * introspect RPCs, speaking Nest's NATS wire format directly: the request is
 * JSON `{pattern, data, id}` with a reply inbox, the answer JSON
 * `{id, response, isDisposed: true}` (see @nestjs/microservices
 * server-nats.js getPublisher and client-nats.js createSubscriptionHandler).
 */
export interface FakeUser {
  password: string;
  roles: string[];
}

export interface FakePeers {
  calls: { authenticate: number; introspect: number };
  close(): Promise<void>;
}

interface NestRequest<T> {
  pattern: string;
  data: T;
  id: string;
}

/** Each stand-in connects as the service it plays: only that service's bus user may answer its subjects. */
export async function startFakePeers(
  bus: Bus,
  users: Record<string, FakeUser>,
  tokens: Record<string, { scope: string; username?: string }>,
): Promise<FakePeers> {
  const connections: NatsConnection[] = [];
  const calls = { authenticate: 0, introspect: 0 };

  async function serve<Request, Response>(subject: RpcSubject, answer: (request: Request) => Response): Promise<Subscription> {
    const connection = await plainConnectionAs(bus, serverOf(subject), `analytics-e2e-fake-${serverOf(subject)}`);
    connections.push(connection);
    return connection.subscribe(subject, {
      callback: (error, message) => {
        if (error || !message.reply) return;
        const request = JSON.parse(Buffer.from(message.data).toString('utf8')) as NestRequest<Request>;
        const reply = { id: request.id, response: answer(request.data), isDisposed: true };
        message.respond(Buffer.from(JSON.stringify(reply)));
      },
    });
  }

  await serve<AuthenticateUserRequest, AuthenticateUserResponse>(RPC_SUBJECTS.authenticateUser, ({ username, password }) => {
    calls.authenticate += 1;
    const user = users[username];
    return user && user.password === password ? { authenticated: true, username, roles: user.roles } : { authenticated: false };
  });

  await serve<IntrospectRequest, IntrospectResponse>(RPC_SUBJECTS.introspect, ({ token }) => {
    calls.introspect += 1;
    const known = tokens[token];
    if (!known) return { active: false };
    const now = Math.floor(Date.now() / 1000);
    return {
      active: true,
      scope: known.scope,
      client_id: 'fake-client',
      username: known.username,
      token_type: 'Bearer',
      exp: now + 3600,
      iat: now,
      nbf: now,
      sub: known.username ?? 'fake-client',
      aud: 'fake-client',
      iss: 'https://localhost:8243/oauth2/token',
      jti: token,
    };
  });
  for (const connection of connections) await connection.flush();

  return {
    calls,
    close: async () => {
      for (const connection of connections) await connection.drain();
    },
  };
}
