import { DynamicModule, Module } from '@nestjs/common';
import { AnalyticsConfig, CONFIG } from '@keymint/config';
import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { ObservabilityModule, storeAndBusModules } from '@keymint/http-kit';
import { DashboardUiModule } from './dashboard-ui/dashboard-ui.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { StatisticsModule } from './statistics/statistics.module';
import { ANALYTICS_ENTITIES, ANALYTICS_MIGRATIONS } from './storage/analytics.entities';

@Module({})
export class AnalyticsModule {
  static forRoot(config: AnalyticsConfig): DynamicModule {
    return {
      module: AnalyticsModule,
      imports: [
        ...storeAndBusModules({
          service: 'analytics',
          config,
          store: { prefix: 'analytics', entities: [...MESSAGING_ENTITIES, ...ANALYTICS_ENTITIES], migrations: ANALYTICS_MIGRATIONS },
        }),
        IngestionModule,
        StatisticsModule,
        DashboardUiModule,
        ObservabilityModule.forService(config),
      ],
      providers: [{ provide: CONFIG, useValue: config }],
    };
  }
}
