import { Module } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { tokenEncryptionKey } from '../minting/token-cipher';
import { DpopNonces } from './dpop-nonces';
import { DpopProofs } from './dpop-proofs';

/** DPoP (RFC 9449) at the token endpoint: the proofs, their used jtis (JtiReplays) and the server's nonces. */
@Module({
  imports: [ClientAuthenticationModule],
  providers: [
    {
      provide: DpopNonces,
      inject: [CONFIG],
      useFactory: (config: TokenServiceConfig): DpopNonces | null =>
        config.DPOP_NONCE_REQUIRED ? new DpopNonces(tokenEncryptionKey(config.TOKEN_ENCRYPTION_KEY, config.DATA_DIR)) : null,
    },
    DpopProofs,
  ],
  exports: [DpopProofs],
})
export class DpopModule {}
