import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSourceSettings, openDataSource } from './data-source';
import { Database } from './database';

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly database: Database) {}
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/** Opens the service's store at start (migrations applied) and closes it last on shutdown. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(settings: DataSourceSettings): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: Database, useFactory: async () => new Database(await openDataSource(settings)) },
        DatabaseCloser,
      ],
      exports: [Database],
    };
  }
}
