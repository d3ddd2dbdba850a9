import { DynamicModule } from '@nestjs/common';
import type { CommonConfig } from '@keymint/config';
import type { BusUser } from '@keymint/contracts';
import { MessagingModule } from '@keymint/messaging';
import { DataSourceSettings, PersistenceModule } from '@keymint/persistence';

export interface StoreAndBusSettings {
  /** The service's user on the bus. */
  service: BusUser;
  /** DATA_DIR or DB_URL for the store; the bus settings (MessagingSettings.config). */
  config: CommonConfig;
  /** The store's table prefix, its entities (the messaging tables' among them) and its migrations. */
  store: { prefix: DataSourceSettings['service'] } & Pick<DataSourceSettings, 'entities' | 'migrations'>;
  /** The outbox relay publishes from a thread of its own (MessagingSettings.relayThread). */
  relayThread?: boolean;
  /** PostgreSQL connections of this process's pool (DataSourceSettings.poolSize). */
  poolSize?: number;
  /** SQLite: one process per store, a second refused at start (DataSourceSettings.oneProcess). */
  oneProcess?: boolean;
}

/** The modules every service imports first: its store (migrated at start, closed last) and its bus (which writes through the store's outbox). */
export function storeAndBusModules(settings: StoreAndBusSettings): DynamicModule[] {
  const { service, config, store, relayThread, poolSize, oneProcess } = settings;
  return [
    PersistenceModule.forRoot({ service: store.prefix, dataDir: config.DATA_DIR, dbUrl: config.DB_URL, entities: store.entities, migrations: store.migrations, poolSize, oneProcess }),
    MessagingModule.forRoot({ service, config, relayThread }),
  ];
}
