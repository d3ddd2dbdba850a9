import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { TokenStorageModule } from '../token-storage/token-storage.module';
import { RevocationController } from './revocation.controller';
import { RevocationService } from './revocation.service';
import { TokenRevoker } from './token-revoker';

/** Revoking tokens: the RFC 7009 endpoint and every other revocation (refresh reuse, the registry's changes). */
@Module({
  imports: [ClientAuthenticationModule, TokenStorageModule],
  controllers: [RevocationController],
  providers: [RevocationService, TokenRevoker],
  exports: [TokenRevoker],
})
export class RevocationModule {}
