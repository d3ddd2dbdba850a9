import { Global, Module } from '@nestjs/common';
import { AccessGuard, AUTHENTICATOR } from '@keymint/http-kit';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { RegistryAuthenticator } from './registry-authenticator';

/** AUTHENTICATOR for every controller's AccessGuard. */
@Global()
@Module({
  imports: [UsersModule, KeysModule],
  providers: [{ provide: AUTHENTICATOR, useClass: RegistryAuthenticator }, AccessGuard],
  exports: [AUTHENTICATOR, AccessGuard],
})
export class AuthModule {}
