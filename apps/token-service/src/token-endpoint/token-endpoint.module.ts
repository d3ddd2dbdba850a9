import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { DpopModule } from '../dpop/dpop.module';
import { MintingModule } from '../minting/minting.module';
import { RevocationModule } from '../revocation/revocation.module';
import { TokenStorageModule } from '../token-storage/token-storage.module';
import { ClientCredentialsGrant } from './client-credentials/client-credentials.grant';
import { GenerateTokenRpc } from './client-credentials/generate-token.rpc';
import { ReusableTokens } from './client-credentials/reusable-tokens';
import { ReuseInvalidation } from './client-credentials/reuse-invalidation';
import { GRANT_HANDLERS, GrantHandler } from './grant-handler';
import { PasswordGrant } from './password/password.grant';
import { RefreshTokenGrant } from './refresh-token/refresh-token.grant';
import { TokenEndpointService } from './token-endpoint.service';
import { TokenController } from './token.controller';

/** POST /token with its grants, each in its own folder with everything it decides. */
@Module({
  imports: [ClientAuthenticationModule, DpopModule, MintingModule, TokenStorageModule, RevocationModule],
  controllers: [TokenController, GenerateTokenRpc],
  providers: [
    ReusableTokens,
    ReuseInvalidation,
    ClientCredentialsGrant,
    PasswordGrant,
    RefreshTokenGrant,
    {
      provide: GRANT_HANDLERS,
      inject: [ClientCredentialsGrant, PasswordGrant, RefreshTokenGrant],
      useFactory: (...grants: GrantHandler[]): GrantHandler[] => grants,
    },
    TokenEndpointService,
  ],
})
export class TokenEndpointModule {}
