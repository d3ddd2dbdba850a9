import { DynamicModule, Module } from '@nestjs/common';
import { ApplicationRegistryConfig, CONFIG } from '@keymint/config';
import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { ObservabilityModule, storeAndBusModules } from '@keymint/http-kit';
import { ApplicationEntity } from './applications/application.entity';
import { ApplicationsModule } from './applications/applications.module';
import { AuthModule } from './auth/auth.module';
import { DevportalUiModule } from './devportal-ui/devportal-ui.module';
import { KeysModule } from './keys/keys.module';
import { ConsumerSecretEntity } from './keys/consumer-secret.entity';
import { OAuthKeyEntity } from './keys/oauth-key.entity';
import { Initial1700000000000 } from './migrations/1700000000000-initial';
import { SignInFailures1700000000001 } from './migrations/1700000000001-sign-in-failures';
import { ConsumerSecrets1700000000002 } from './migrations/1700000000002-consumer-secrets';
import { ClientAuthenticationMethods1700000000003 } from './migrations/1700000000003-client-authentication-methods';
import { KeyResources1700000000004 } from './migrations/1700000000004-key-resources';
import { RequireDpop1700000000005 } from './migrations/1700000000005-require-dpop';
import { TlsClientAuthSubjectDn1700000000006 } from './migrations/1700000000006-tls-client-auth-subject-dn';
import { OutboxHeaders1700000000007 } from './migrations/1700000000007-outbox-headers';
import { OpenApiController } from './openapi/openapi.controller';
import { RpcModule } from './rpc/rpc.module';
import { ScopeEntity } from './scopes/scope.entity';
import { ScopesModule } from './scopes/scopes.module';
import { UserEntity } from './users/user.entity';
import { UsersModule } from './users/users.module';

export const REGISTRY_ENTITIES = [UserEntity, ScopeEntity, ApplicationEntity, OAuthKeyEntity, ConsumerSecretEntity];

@Module({})
export class ApplicationRegistryModule {
  static forRoot(config: ApplicationRegistryConfig): DynamicModule {
    return {
      module: ApplicationRegistryModule,
      global: true,
      imports: [
        ...storeAndBusModules({
          service: 'application-registry',
          config,
          store: {
            prefix: 'registry',
            entities: [...MESSAGING_ENTITIES, ...REGISTRY_ENTITIES],
            migrations: [
              Initial1700000000000,
              SignInFailures1700000000001,
              ConsumerSecrets1700000000002,
              ClientAuthenticationMethods1700000000003,
              KeyResources1700000000004,
              RequireDpop1700000000005,
              TlsClientAuthSubjectDn1700000000006,
              OutboxHeaders1700000000007,
            ],
          },
          // On SQLite the users' sign-in failure counts live in this process's memory: a second process on the same
          // store would allow twice the password guesses, so it is refused.
          oneProcess: true,
        }),
        AuthModule,
        UsersModule,
        ScopesModule,
        ApplicationsModule,
        KeysModule,
        RpcModule,
        DevportalUiModule,
        ObservabilityModule.forService(config),
      ],
      controllers: [OpenApiController],
      providers: [{ provide: CONFIG, useValue: config }],
      exports: [CONFIG],
    };
  }
}
