import { Module } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { Database } from '@keymint/persistence';
import { SignInLimiter, signInLimiterFor } from '@keymint/sign-in-limiter';
import { JtiReplays } from '../oauth2/jti-replays';
import { ClientAuthenticator } from './client-authenticator';
import { ClientCache } from './client-cache';
import { SecretUseReporter } from './secret-use-reporter';

/**
 * Who is asking: client credentials (a secret or a signed assertion) checked against the registry's records
 * (cached), with the consumer keys' failure limiter and the used JWT ids (JtiReplays: client assertions', and
 * exported for the DPoP proofs' at the token endpoint).
 */
@Module({
  providers: [
    {
      provide: SignInLimiter,
      useFactory: (config: TokenServiceConfig, database: Database) => signInLimiterFor(config.AUTH_FAILURE_LIMIT, database),
      inject: [CONFIG, Database],
    },
    ClientCache,
    JtiReplays,
    SecretUseReporter,
    ClientAuthenticator,
  ],
  exports: [ClientAuthenticator, JtiReplays],
})
export class ClientAuthenticationModule {}
