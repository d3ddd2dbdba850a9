import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { RegistryRpcController } from './registry-rpc.controller';

@Module({ imports: [KeysModule, UsersModule], controllers: [RegistryRpcController] })
export class RpcModule {}
