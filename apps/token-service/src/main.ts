import 'reflect-metadata';
import { TokenServiceConfig } from '@keymint/config';
import { launchService, WorkerSettings } from '@keymint/http-kit';
import { postgresConnectionLimit } from '@keymint/persistence';
import { TOKEN_SERVICE_RESPONSE_HEADERS } from './oauth2/security-headers';
import { connectionLimitProblem, TokenServiceModule } from './token-service.module';

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
 * single-use JWT ids and the failure counts in its memory and is the store's one writer. And their pools must fit
 * in what the server admits.
 */
async function tokenWorkers(config: TokenServiceConfig): Promise<WorkerSettings> {
  const settings = { count: config.TOKEN_WORKERS, startTimeoutSeconds: config.TOKEN_WORKER_START_TIMEOUT };
  if (config.TOKEN_WORKERS === 1) return settings;
  if (!config.DB_URL) {
    throw new Error(
      `TOKEN_WORKERS=${config.TOKEN_WORKERS} needs PostgreSQL (DB_URL): on SQLite the single-use JWT ids (DPoP proofs, client assertions) ` +
        'and the client authentication failure counts live in one process, which is also the only writer of the store. Set DB_URL, or leave TOKEN_WORKERS at 1.',
    );
  }
  const limit = await postgresConnectionLimit(config.DB_URL).catch((error: Error) => {
    throw new Error(`TOKEN_WORKERS=${config.TOKEN_WORKERS}: could not ask PostgreSQL how many connections it admits: ${error.message}`);
  });
  const problem = connectionLimitProblem(config.TOKEN_WORKERS, limit);
  if (problem) throw new Error(problem);
  return settings;
}
