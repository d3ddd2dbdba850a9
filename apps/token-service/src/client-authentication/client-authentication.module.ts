import { Module } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { Database } from '@keymint/persistence';
import { SignInLimiter, signInLimiterFor } from '@keymint/sign-in-limiter';
import { JtiReplays } from '../oauth2/jti-replays';
import { ClientAuthenticator } from './client-authenticator';
import { ClientCache } from './client-cache';
import { MutualTlsAuthenticator } from './mutual-tls';
import { OAuth2RequestReader } from './oauth2-request';
import { SecretUseReporter } from './secret-use-reporter';

/**
 * Who is asking: client credentials (a secret, a signed assertion or a client certificate) checked against the
 * registry's records (cached), with the consumer keys' failure limiter, the used JWT ids (JtiReplays: client
 * assertions', and exported for the DPoP proofs' at the token endpoint) and the CAs trusted for tls_client_auth;
 * and the endpoints' requests read off HTTP, client certificate included.
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
    MutualTlsAuthenticator,
    ClientAuthenticator,
    OAuth2RequestReader,
  ],
  exports: [ClientAuthenticator, OAuth2RequestReader, JtiReplays],
})
export class ClientAuthenticationModule {}
