import 'reflect-metadata';
import { analyticsEnvShape, loadConfig } from '@keymint/config';
import { bootstrapService, runService } from '@keymint/http-kit';
import { AnalyticsModule } from './analytics.module';

runService(async () => {
  const config = loadConfig(analyticsEnvShape);
  await bootstrapService({
    name: 'analytics',
    module: AnalyticsModule.forRoot(config),
    config,
    https: { port: config.ANALYTICS_HTTPS_PORT, variable: 'ANALYTICS_HTTPS_PORT' },
    http: { port: config.ANALYTICS_HTTP_PORT, variable: 'ANALYTICS_HTTP_PORT' },
    errorStyle: 'wso2',
  });
});
