import { DynamicModule, Module } from '@nestjs/common';
import { TokenServiceConfig, CONFIG } from '@keymint/config';
import { ObservabilityController, storeAndBusModules } from '@keymint/http-kit';
import { AuthFailureLimiter } from './clients/auth-failure-limiter';
import { ClientAuthenticator } from './clients/client-authenticator';
import { ClientCache } from './clients/client-cache';
import { DiscoveryController } from './discovery/discovery.controller';
import { IntrospectionController } from './introspection/introspection.controller';
import { IntrospectionService } from './introspection/introspection.service';
import { RegistryEventsConsumer } from './registry-events/registry-events.consumer';
import { RevocationController } from './revocation/revocation.controller';
import { RevocationService } from './revocation/revocation.service';
import { TokensRpcController } from './rpc/tokens-rpc.controller';
import { ClientCredentialsGrant } from './token-endpoint/grants/client-credentials.grant';
import { GRANT_HANDLERS, GrantHandler } from './token-endpoint/grants/grant-handler';
import { PasswordGrant } from './token-endpoint/grants/password.grant';
import { RefreshTokenGrant } from './token-endpoint/grants/refresh-token.grant';
import { TokenEndpointService } from './token-endpoint/token-endpoint.service';
import { TokenController } from './token-endpoint/token.controller';
import { PostOnlyController } from './oauth2/post-only.controller';
import { TokenIssuer } from './tokens/token-issuer';
import { ReuseInvalidation } from './tokens/reuse-invalidation';
import { TokenPurger } from './tokens/token-purger';
import { TokenStore } from './tokens/token-store';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from './tokens/token-store.schema';
import { TokenWriter } from './tokens/token-writer';

@Module({})
export class TokenServiceModule {
  static forRoot(config: TokenServiceConfig): DynamicModule {
    return {
      module: TokenServiceModule,
      imports: [
        ...storeAndBusModules({
          service: 'token-service',
          config,
          store: { prefix: 'token', entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS },
          relayThread: true,
        }),
      ],
      controllers: [ObservabilityController, TokenController, RevocationController, IntrospectionController, PostOnlyController, DiscoveryController, TokensRpcController],
      providers: [
        { provide: CONFIG, useValue: config },
        AuthFailureLimiter,
        ClientCache,
        ClientAuthenticator,
        TokenWriter,
        TokenIssuer,
        TokenStore,
        TokenPurger,
        ReuseInvalidation,
        ClientCredentialsGrant,
        PasswordGrant,
        RefreshTokenGrant,
        {
          provide: GRANT_HANDLERS,
          inject: [ClientCredentialsGrant, PasswordGrant, RefreshTokenGrant],
          useFactory: (...grants: GrantHandler[]): GrantHandler[] => grants,
        },
        TokenEndpointService,
        RevocationService,
        IntrospectionService,
        RegistryEventsConsumer,
      ],
    };
  }
}
