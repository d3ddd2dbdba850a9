import { DynamicModule, Module } from '@nestjs/common';
import { AnalyticsConfig, CONFIG } from '@keymint/config';
import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { ObservabilityController, storeAndBusModules } from '@keymint/http-kit';
import { DashboardUiModule } from './dashboard-ui/dashboard-ui.module';
import { Initial1700000000000 } from './migrations/1700000000000-initial';
import { IngestionModule } from './ingestion/ingestion.module';
import { StatisticsModule } from './statistics/statistics.module';
import { ANALYTICS_ENTITIES } from './storage/analytics.entities';

@Module({})
export class AnalyticsModule {
  static forRoot(config: AnalyticsConfig): DynamicModule {
    return {
      module: AnalyticsModule,
      imports: [
        ...storeAndBusModules({
          service: 'analytics',
          config,
          store: { prefix: 'analytics', entities: [...MESSAGING_ENTITIES, ...ANALYTICS_ENTITIES], migrations: [Initial1700000000000] },
        }),
        IngestionModule,
        StatisticsModule,
        DashboardUiModule,
      ],
      controllers: [ObservabilityController],
      providers: [{ provide: CONFIG, useValue: config }],
    };
  }
}
