import 'reflect-metadata';
import { TokenServiceConfig } from '@keymint/config';
import { launchService } from '@keymint/http-kit';
import { TOKEN_SERVICE_RESPONSE_HEADERS } from './oauth2/security-headers';
import { TokenServiceModule } from './token-service.module';

launchService({
  name: 'token-service',
  module: (config) => TokenServiceModule.forRoot(config),
  workers: tokenWorkers,
  errorStyle: 'oauth2',
  responseHeaders: TOKEN_SERVICE_RESPONSE_HEADERS,
  // Mutual-TLS client authentication and certificate-bound tokens (RFC 8705).
  requestClientCertificate: true,
});

/**
 * TOKEN_WORKERS processes serve the token service (docs/operations.md, "Serving from several cores"). They share
 * what replicas share, so only where replicas are correct: on PostgreSQL. On SQLite one process holds the
 * single-use JWT ids and the failure counts in its memory and is the store's one writer.
 */
function tokenWorkers(config: TokenServiceConfig): number {
  if (config.TOKEN_WORKERS > 1 && !config.DB_URL) {
    throw new Error(
      `TOKEN_WORKERS=${config.TOKEN_WORKERS} needs PostgreSQL (DB_URL): on SQLite the single-use JWT ids (DPoP proofs, client assertions) ` +
        'and the client authentication failure counts live in one process, which is also the only writer of the store. Set DB_URL, or leave TOKEN_WORKERS at 1.',
    );
  }
  return config.TOKEN_WORKERS;
}
