import { Module } from '@nestjs/common';
import { MintingModule } from '../minting/minting.module';
import { DiscoveryController } from './discovery.controller';

/** What a client can learn without credentials: RFC 8414 metadata and the JWKS. */
@Module({
  imports: [MintingModule],
  controllers: [DiscoveryController],
})
export class DiscoveryModule {}
