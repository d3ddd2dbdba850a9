import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientNats, MessagePattern, Payload } from '@nestjs/microservices';
import { connect, JSONCodec, NatsConnection } from 'nats';
import { AuthenticateUserRequest, AuthenticateUserResponse, GetClientRequest, GetClientResponse, RPC_SUBJECTS } from '@keymint/contracts';
import { CallerOnlyNatsServer, MalformedResponseError, natsConnectionOptions, RpcClient, RpcError, rpcFailure } from '@keymint/messaging';
import { NatsServerProcess } from '../../../scripts/lib/nats-server';
import { natsServerIn } from './messaging-test-kit';

/** What the handlers below were called with: a request the schema refuses must never get here. */
const received: unknown[] = [];

@Controller()
class SampleRpcController {
  @MessagePattern(RPC_SUBJECTS.getClient)
  getClient(@Payload() request: GetClientRequest): GetClientResponse {
    received.push(request);
    // An answer its schema refuses: the caller must not take it.
    if (request.consumerKey === 'broken-record') return { consumerKey: request.consumerKey } as unknown as GetClientResponse;
    return null;
  }

  @MessagePattern(RPC_SUBJECTS.authenticateUser)
  authenticateUser(@Payload() request: AuthenticateUserRequest): AuthenticateUserResponse {
    received.push(request);
    throw rpcFailure('invalid_request', 'refused by the handler');
  }
}

@Module({ controllers: [SampleRpcController] })
class SampleRpcModule {}

/**
 * The RPC transport on a real nats-server: a request that fails its subject's
 * request schema is answered `invalid_request` (the error body a handler's
 * rpcFailure sends) without the handler running; an answer that fails the
 * response schema reaches the caller as a MalformedResponseError.
 */
describe('RPC requests and answers are checked against their schemas', () => {
  let dir: string;
  let nats: NatsServerProcess;
  let server: INestMicroservice;
  let client: RpcClient;
  let raw: NatsConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-rpc-'));
    nats = await natsServerIn(dir);
    await nats.start();
    server = await NestFactory.createMicroservice(SampleRpcModule, {
      strategy: new CallerOnlyNatsServer({ ...natsConnectionOptions({ url: nats.url, user: 'application-registry' }, 'rpc-test-server'), queue: 'rpc-test' }),
      logger: false,
    });
    await server.listen();
    // As the token service, the caller of the registry's RPCs: only its inbox gets answers.
    const caller = natsConnectionOptions({ url: nats.url, user: 'token-service' }, 'rpc-test-client');
    client = new RpcClient(new ClientNats(caller), 3000);
    raw = await connect(caller);
  });

  afterAll(async () => {
    await raw?.close();
    await client?.close();
    await server?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('hands a valid request to the handler', async () => {
    await expect(client.request(RPC_SUBJECTS.getClient, { consumerKey: 'unknown-key' })).resolves.toBeNull();
    expect(received).toEqual([{ consumerKey: 'unknown-key' }]);
  });

  it.each([
    ['a number for consumerKey', { consumerKey: 42 }, 'consumerKey must be a non-empty string of at most 256 characters'],
    ['a consumerKey of 257 characters', { consumerKey: 'k'.repeat(257) }, 'consumerKey must be a non-empty string of at most 256 characters'],
    ['no consumerKey', {}, 'consumerKey must be a non-empty string of at most 256 characters'],
    ['a string', 'junk', 'the request must be an object'],
    ['an array', ['consumerKey'], 'the request must be an object'],
  ])('answers a request with %s with invalid_request, naming the field, and never runs the handler', async (_case, request, message) => {
    const call = client.request(RPC_SUBJECTS.getClient, request as never);
    await expect(call).rejects.toBeInstanceOf(RpcError);
    await expect(call).rejects.toMatchObject({ code: 'invalid_request', message });
    expect(received).toEqual([]);
  });

  it('sends the refusal as the same error body a handler sends with rpcFailure', async () => {
    const codec = JSONCodec<{ id: string; err?: unknown; response?: unknown; isDisposed?: boolean }>();
    const ask = async (subject: string, data: unknown) =>
      codec.decode((await raw.request(subject, codec.encode({ pattern: subject, data, id: 'request-1' } as never), { timeout: 3000 })).data);
    const byTransport = await ask(RPC_SUBJECTS.authenticateUser, { username: '', password: 'p', clientAddress: '192.0.2.1' });
    const byHandler = await ask(RPC_SUBJECTS.authenticateUser, { username: 'alice', password: 'p', clientAddress: '192.0.2.1' });
    expect(byHandler).toEqual({ id: 'request-1', err: { code: 'invalid_request', message: 'refused by the handler' }, isDisposed: true });
    expect(byTransport).toEqual({ id: 'request-1', err: { code: 'invalid_request', message: 'username must be a non-empty string' }, isDisposed: true });
    expect(received).toEqual([{ username: 'alice', password: 'p', clientAddress: '192.0.2.1' }]);
  });

  it('refuses an answer that fails the response schema: the caller gets a MalformedResponseError, not the answer', async () => {
    const call = client.request(RPC_SUBJECTS.getClient, { consumerKey: 'broken-record' });
    await expect(call).rejects.toBeInstanceOf(MalformedResponseError);
    await expect(call).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('registry.rpc.client.get.v1 answered a malformed response: secrets') });
  });
});
