import { Module } from '@nestjs/common';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { ClientAuthenticator } from './client-authenticator';
import { ClientCache } from './client-cache';

/** Who is asking: client credentials checked against the registry's records (cached), and the failure limiter. */
@Module({
  providers: [AuthFailureLimiter, ClientCache, ClientAuthenticator],
  exports: [AuthFailureLimiter, ClientAuthenticator],
})
export class ClientAuthenticationModule {}
