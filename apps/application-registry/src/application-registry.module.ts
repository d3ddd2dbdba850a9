import { DynamicModule, Module } from '@nestjs/common';
import { ApplicationRegistryConfig, CONFIG } from '@keymint/config';
import { MESSAGING_ENTITIES, MessagingModule } from '@keymint/messaging';
import { PersistenceModule } from '@keymint/persistence';
import { ObservabilityController } from '@keymint/http-kit';
import { Initial1700000000000 } from './migrations/1700000000000-initial';

@Module({})
export class ApplicationRegistryModule {
  static forRoot(config: ApplicationRegistryConfig): DynamicModule {
    return {
      module: ApplicationRegistryModule,
      imports: [
        PersistenceModule.forRoot({
          service: 'registry',
          dataDir: config.DATA_DIR,
          dbUrl: config.DB_URL,
          entities: [...MESSAGING_ENTITIES],
          migrations: [Initial1700000000000],
        }),
        MessagingModule.forRoot({ service: 'application-registry', natsUrl: config.NATS_URL, rpcTimeoutMs: config.RPC_TIMEOUT_MS }),
      ],
      controllers: [ObservabilityController],
      providers: [{ provide: CONFIG, useValue: config }],
    };
  }
}
