import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { MintingModule } from '../minting/minting.module';
import { TokenStorageModule } from '../token-storage/token-storage.module';
import { IntrospectRpc } from './introspect.rpc';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';

/** RFC 7662 over HTTP (a client for its own tokens, an admin for any) and over the bus for the other services. */
@Module({
  imports: [ClientAuthenticationModule, MintingModule, TokenStorageModule],
  controllers: [IntrospectionController, IntrospectRpc],
  providers: [IntrospectionService],
})
export class IntrospectionModule {}
