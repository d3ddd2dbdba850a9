import 'reflect-metadata';
import { tokenServiceEnvShape, loadConfig } from '@keymint/config';
import { bootstrapService, runService } from '@keymint/http-kit';
import { TOKEN_SERVICE_RESPONSE_HEADERS } from './oauth2/security-headers';
import { TokenServiceModule } from './token-service.module';

runService(async () => {
  const config = loadConfig(tokenServiceEnvShape);
  await bootstrapService({
    name: 'token-service',
    module: TokenServiceModule.forRoot(config),
    config,
    https: { port: config.TOKEN_SERVICE_HTTPS_PORT, variable: 'TOKEN_SERVICE_HTTPS_PORT' },
    http: { port: config.TOKEN_SERVICE_HTTP_PORT, variable: 'TOKEN_SERVICE_HTTP_PORT' },
    errorStyle: 'oauth2',
    responseHeaders: TOKEN_SERVICE_RESPONSE_HEADERS,
    hsts: true,
  });
});
