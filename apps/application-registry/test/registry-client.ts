import { ClientNats } from '@nestjs/microservices';
import { JSONCodec, NatsConnection, Subscription } from 'nats';
import { EventMessage, EventSubject, REGISTRY_STREAM } from '@keymint/contracts';
import { natsConnectionOptions, RpcClient } from '@keymint/messaging';
import { plainConnectionAs } from '../../../test/support/bus';
import type { TestCluster } from '../../../test/support/cluster';

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted field by field
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * HTTP, NATS RPC and the REGISTRY stream of one test cluster, as a user and
 * the token service see them: RPCs as the token service's bus user, the stream
 * read with the read-only user.
 */
export class RegistryClient {
  readonly rpc: RpcClient;
  private readonly fakes: Subscription[] = [];

  private constructor(
    private readonly cluster: TestCluster,
    /** As the token service: it may call the registry and answer the token RPCs. */
    readonly nats: NatsConnection,
    private readonly reader: NatsConnection,
  ) {
    this.rpc = new RpcClient(new ClientNats(natsConnectionOptions(cluster.natsAccess('token-service'), 'registry-e2e-rpc')), 3000);
  }

  static async open(cluster: TestCluster): Promise<RegistryClient> {
    return new RegistryClient(cluster, await plainConnectionAs(cluster, 'token-service'), await plainConnectionAs(cluster, 'reader'));
  }

  async call(
    method: string,
    path: string,
    options: { auth?: string; body?: unknown; rawBody?: string; contentType?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.auth) headers.authorization = options.auth;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(this.cluster.url('application-registry', path), { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** Every message on REGISTRY so far, in order. */
  async events(fromSeq = 1): Promise<Array<{ seq: number; subject: string; event: EventMessage }>> {
    const manager = await this.reader.jetstreamManager();
    const info = await manager.streams.info(REGISTRY_STREAM.name);
    const codec = JSONCodec<EventMessage>();
    const result: Array<{ seq: number; subject: string; event: EventMessage }> = [];
    for (let seq = Math.max(fromSeq, info.state.first_seq); seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await manager.streams.getMessage(REGISTRY_STREAM.name, { seq });
      result.push({ seq, subject: message.subject, event: codec.decode(message.data) });
    }
    return result;
  }

  async lastSequence(): Promise<number> {
    const manager = await this.reader.jetstreamManager();
    return (await manager.streams.info(REGISTRY_STREAM.name)).state.last_seq;
  }

  /**
   * Runs `change` and returns the one event it put on REGISTRY; fails when it
   * put none, several, or one with another subject.
   */
  async expectOneEvent<S extends EventSubject, T>(subject: S, change: () => Promise<T>): Promise<{ result: T; event: EventMessage<S> }> {
    const before = await this.settledSequence();
    const result = await change();
    const deadline = Date.now() + 5000;
    while ((await this.lastSequence()) === before && Date.now() < deadline) await sleep(25);
    await sleep(250); // room for a second, unwanted event to show up
    const events = await this.events(before + 1);
    expect(events.map((item) => item.subject)).toEqual([subject]);
    return { result, event: events[0].event as unknown as EventMessage<S> };
  }

  /** The stream's last sequence once earlier changes have reached it (the outbox relay publishes asynchronously). */
  private async settledSequence(): Promise<number> {
    let previous = await this.lastSequence();
    for (;;) {
      await sleep(150);
      const current = await this.lastSequence();
      if (current === previous) return current;
      previous = current;
    }
  }

  /** Answers a token-service RPC subject in Nest's wire format ({id, response | err, isDisposed}). */
  async fakeResponder(subject: string, answer: (data: Record<string, unknown>) => { response?: unknown; err?: unknown }): Promise<void> {
    const codec = JSONCodec<{ id: string; data: Record<string, unknown> }>();
    const reply = JSONCodec();
    this.fakes.push(
      this.nats.subscribe(subject, {
        callback: (_error, message) => {
          const packet = codec.decode(message.data);
          message.respond(reply.encode({ id: packet.id, ...answer(packet.data), isDisposed: true }));
        },
      }),
    );
    // The server must know the subscription before the registry asks.
    await this.nats.flush();
  }

  async close(): Promise<void> {
    for (const fake of this.fakes) fake.unsubscribe();
    await this.rpc.close();
    await this.nats.close();
    await this.reader.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
