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
import type { CommonConfig } from '@keymint/config';
import { BUS_ROLES, BusUser } from '@keymint/contracts';
import { Database } from '@keymint/persistence';
import { NatsAccess, natsAccessFromConfig, natsConnectionOptions } from './nats-connection-options';
import { NatsClient } from './nats-client';
import { OutboxRelay } from './outbox-relay';
import { RpcClient } from './rpc';

export interface MessagingSettings {
  /** The service: its bus user (bus-access.ts), the connections' names shown by the NATS server, the queue group of its RPC handlers. */
  service: BusUser;
  /** NATS_URL, the NATS credentials and TLS, RPC_TIMEOUT_MS, NATS_STREAM_REPLICAS, TOKEN_EVENT_RETENTION. */
  config: CommonConfig;
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
    const { service, config } = settings;
    const access: NatsAccess = natsAccessFromConfig(config, service);
    return {
      module: MessagingModule,
      providers: [
        { provide: MESSAGING_SETTINGS, useValue: settings },
        {
          provide: NatsClient,
          useFactory: () =>
            NatsClient.connect(access, service, {
              replicas: config.NATS_STREAM_REPLICAS,
              retentionSeconds: config.TOKEN_EVENT_RETENTION,
              managed: BUS_ROLES[service].managesStreams,
            }),
        },
        {
          provide: OutboxRelay,
          inject: [Database, NatsClient],
          useFactory: (database: Database, nats: NatsClient) =>
            new OutboxRelay(database, nats, {
              publishingThread: settings.relayThread ? { access, connectionName: `${service}-outbox-relay` } : undefined,
            }),
        },
        {
          provide: RpcClient,
          useFactory: () => new RpcClient(new ClientNats(natsConnectionOptions(access, `${service}-rpc-client`)), config.RPC_TIMEOUT_MS),
        },
        MessagingLifecycle,
      ],
      exports: [NatsClient, OutboxRelay, RpcClient, MESSAGING_SETTINGS],
    };
  }
}
