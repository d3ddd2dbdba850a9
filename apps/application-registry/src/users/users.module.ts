import { Module } from '@nestjs/common';
import { ApplicationRegistryConfig, CONFIG } from '@keymint/config';
import { Database } from '@keymint/persistence';
import { SignInLimiter, signInLimiterFor } from '@keymint/sign-in-limiter';
import { ApplicationsModule } from '../applications/applications.module';
import { ScopesModule } from '../scopes/scopes.module';
import { AdminBootstrap } from './admin-bootstrap';
import { PasswordHasher } from './password-hasher';
import { UserSignIn } from './user-sign-in';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [ApplicationsModule, ScopesModule],
  controllers: [UsersController],
  providers: [
    UsersService,
    UserSignIn,
    { provide: PasswordHasher, useFactory: (config: ApplicationRegistryConfig) => new PasswordHasher(config.RPC_TIMEOUT_MS), inject: [CONFIG] },
    {
      provide: SignInLimiter,
      useFactory: (config: ApplicationRegistryConfig, database: Database) => signInLimiterFor(config.AUTH_FAILURE_LIMIT, database),
      inject: [CONFIG, Database],
    },
    AdminBootstrap,
  ],
  exports: [UsersService, UserSignIn],
})
export class UsersModule {}
