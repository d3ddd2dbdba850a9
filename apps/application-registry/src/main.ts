import 'reflect-metadata';
import { applicationRegistryEnvShape, loadConfig } from '@keymint/config';
import { bootstrapService, runService } from '@keymint/http-kit';
import { ApplicationRegistryModule } from './application-registry.module';

runService(async () => {
  const config = loadConfig(applicationRegistryEnvShape);
  await bootstrapService({
    name: 'application-registry',
    module: ApplicationRegistryModule.forRoot(config),
    config,
    https: { port: config.REGISTRY_HTTPS_PORT, variable: 'REGISTRY_HTTPS_PORT' },
    http: { port: config.REGISTRY_HTTP_PORT, variable: 'REGISTRY_HTTP_PORT' },
    errorStyle: 'wso2',
  });
});
