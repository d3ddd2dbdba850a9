import 'reflect-metadata';
import { launchService } from '@keymint/http-kit';
import { TOKEN_SERVICE_RESPONSE_HEADERS } from './oauth2/security-headers';
import { TokenServiceModule } from './token-service.module';

launchService({
  name: 'token-service',
  module: (config) => TokenServiceModule.forRoot(config),
  errorStyle: 'oauth2',
  responseHeaders: TOKEN_SERVICE_RESPONSE_HEADERS,
  // Mutual-TLS client authentication and certificate-bound tokens (RFC 8705).
  requestClientCertificate: true,
});
