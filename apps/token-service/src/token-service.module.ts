import { DynamicModule, Module } from '@nestjs/common';
import { TokenServiceConfig, CONFIG } from '@keymint/config';
import { ObservabilityModule, storeAndBusModules } from '@keymint/http-kit';
import { DiscoveryModule } from './discovery/discovery.module';
import { IntrospectionModule } from './introspection/introspection.module';
import { PostOnlyController } from './oauth2/post-only.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { RegistryEventsModule } from './registry-events/registry-events.module';
import { RevocationModule } from './revocation/revocation.module';
import { TokenEndpointModule } from './token-endpoint/token-endpoint.module';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from './token-storage/token-store.schema';

/**
 * The token service, one module per feature (docs/development.md):
 * token-endpoint (the grants) · client-authentication · dpop · minting ·
 * token-storage · revocation · introspection · discovery · registry-events.
 */
@Module({})
export class TokenServiceModule {
  static forRoot(config: TokenServiceConfig): DynamicModule {
    return {
      module: TokenServiceModule,
      // CONFIG for every feature module.
      global: true,
      imports: [
        ...storeAndBusModules({
          service: 'token-service',
          config,
          store: { prefix: 'token', entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS },
          relayThread: true,
          poolSize: poolSizeOf(config),
          // On SQLite the single-use JWT ids, the failure counts and the reuse single-flight live in this process's
          // memory: a second process on the same store would halve each of them, so it is refused.
          oneProcess: true,
        }),
        TokenEndpointModule,
        RevocationModule,
        IntrospectionModule,
        DiscoveryModule,
        RegistryEventsModule,
        ObservabilityModule.forService(config),
      ],
      // The OpenAPI document describes every feature's routes, so it sits above them all.
      controllers: [PostOnlyController, OpenApiController],
      providers: [{ provide: CONFIG, useValue: config }],
      exports: [CONFIG],
    };
  }
}

/**
 * PostgreSQL connections per process: 20 for one, and TOKEN_WORKERS processes share about 40 between them
 * (at least 8 each: a group commit keeps one, the relay, the consumers and the reuse claims take others).
 */
export function poolSizeOf(config: Pick<TokenServiceConfig, 'TOKEN_WORKERS'>): number {
  return config.TOKEN_WORKERS === 1 ? 20 : Math.max(8, Math.ceil(40 / config.TOKEN_WORKERS));
}

/**
 * Why TOKEN_WORKERS processes would ask PostgreSQL for more connections than it admits (max_connections less the
 * superuser-reserved ones), or undefined when their pools fit. Pools open connections as load needs them, so such a
 * service would start and then, at load, get "too many clients" for some of its requests: it is refused at start
 * instead. The other services' pools (20 a process) need room too; this cannot see them (docs/operations.md).
 */
export function connectionLimitProblem(workers: number, server: { maxConnections: number; superuserReserved: number }): string | undefined {
  const opened = (count: number) => count * poolSizeOf({ TOKEN_WORKERS: count });
  const admitted = server.maxConnections - server.superuserReserved;
  if (opened(workers) <= admitted) return undefined;
  const fitting = Array.from({ length: workers - 1 }, (_, offset) => workers - 1 - offset).find((count) => count > 1 && opened(count) <= admitted);
  return (
    `TOKEN_WORKERS=${workers} would open up to ${opened(workers)} PostgreSQL connections (${workers} pools of ${poolSizeOf({ TOKEN_WORKERS: workers })}), ` +
    `more than the server admits (max_connections ${server.maxConnections} less ${server.superuserReserved} superuser_reserved_connections: ${admitted}), ` +
    `before the other services' pools. ${fitting ? `Set TOKEN_WORKERS to ${fitting} or less, or raise` : 'Raise'} the server's max_connections.`
  );
}
