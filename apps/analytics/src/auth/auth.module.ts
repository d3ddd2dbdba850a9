import { Module } from '@nestjs/common';
import { AUTHENTICATOR } from '@keymint/http-kit';
import { RpcClient } from '@keymint/messaging';
import { RpcAuthenticator } from './rpc-authenticator';

@Module({
  providers: [{ provide: AUTHENTICATOR, inject: [RpcClient], useFactory: (rpc: RpcClient) => new RpcAuthenticator(rpc) }],
  exports: [AUTHENTICATOR],
})
export class AuthModule {}
