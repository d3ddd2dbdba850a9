import { Module } from '@nestjs/common';
import { MintingModule } from '../minting/minting.module';
import { DiscoveryController } from './discovery.controller';
import { OpenApiController } from './openapi.controller';

/** What a client can learn without credentials: RFC 8414 metadata, the JWKS and the OpenAPI document. */
@Module({
  imports: [MintingModule],
  controllers: [DiscoveryController, OpenApiController],
})
export class DiscoveryModule {}
