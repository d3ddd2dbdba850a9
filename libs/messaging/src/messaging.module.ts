import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ClientNats } from '@nestjs/microservices';
import { Database } from '@keymint/persistence';
import { NatsClient } from './nats-client';
import { OutboxRelay } from './outbox-relay';
import { RpcClient } from './rpc';

export interface MessagingSettings {
  /** Connection name shown by the NATS server, and the queue group of the service's RPC handlers. */
  service: string;
  natsUrl: string;
  rpcTimeoutMs: number;
  /** JetStream replicas of the event streams (NATS_STREAM_REPLICAS). */
  streamReplicas?: number;
  /** Seconds the TOKENS stream keeps a message (TOKEN_EVENT_RETENTION); 0 or unset: forever. */
  tokenEventRetentionSeconds?: number;
  /** The outbox relay publishes from a worker thread of its own (OutboxRelayOptions.publishingThread). */
  relayThread?: boolean;
}

export const MESSAGING_SETTINGS = Symbol('MESSAGING_SETTINGS');

@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.ensureStreams();
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    if (this.nats.isConnected) await this.relay.drain().catch(() => undefined);
    await this.relay.close();
    await this.rpc.close();
    await this.nats.close();
  }
}

/** The bus for one service: JetStream connection, outbox relay, typed RPC client. */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(settings: MessagingSettings): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: MESSAGING_SETTINGS, useValue: settings },
        { provide: NatsClient, useFactory: () => NatsClient.connect(settings.natsUrl, settings.service, { replicas: settings.streamReplicas, retentionSeconds: settings.tokenEventRetentionSeconds }) },
        {
          provide: OutboxRelay,
          inject: [Database, NatsClient],
          useFactory: (database: Database, nats: NatsClient) =>
            new OutboxRelay(database, nats, {
              publishingThread: settings.relayThread ? { natsUrl: settings.natsUrl, connectionName: `${settings.service}-outbox-relay` } : undefined,
            }),
        },
        {
          provide: RpcClient,
          useFactory: () =>
            new RpcClient(
              new ClientNats({
                servers: settings.natsUrl.split(','),
                name: `${settings.service}-rpc-client`,
                maxReconnectAttempts: -1,
                reconnectTimeWait: 250,
              }),
              settings.rpcTimeoutMs,
            ),
        },
        MessagingLifecycle,
      ],
      exports: [NatsClient, OutboxRelay, RpcClient, MESSAGING_SETTINGS],
    };
  }
}
