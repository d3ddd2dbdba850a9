import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { JwtSigner } from './jwt-signer';
import { TokenCipher } from './token-cipher';
import { TokenMinter } from './token-minter';

/** Making tokens: opaque and JWT access tokens, refresh tokens, the signing keys (JWKS) and the reuse cipher. */
@Module({
  providers: [
    {
      provide: JwtSigner,
      inject: [CONFIG],
      useFactory: (config: TokenServiceConfig) =>
        new JwtSigner({
          directory: join(config.DATA_DIR, 'jwt-keys'),
          algorithm: config.JWT_ALG,
          rotationSeconds: config.JWT_KEY_ROTATION,
          maxTokenValiditySeconds: config.MAX_TOKEN_VALIDITY,
        }),
    },
    {
      provide: TokenCipher,
      inject: [CONFIG],
      useFactory: (config: TokenServiceConfig) => TokenCipher.fromConfig(config.TOKEN_ENCRYPTION_KEY, config.DATA_DIR),
    },
    TokenMinter,
  ],
  exports: [JwtSigner, TokenMinter],
})
export class MintingModule {}
