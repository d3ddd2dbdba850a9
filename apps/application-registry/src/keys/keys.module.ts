import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { ScopesModule } from '../scopes/scopes.module';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

@Module({ imports: [ApplicationsModule, ScopesModule], controllers: [KeysController], providers: [KeysService], exports: [KeysService] })
export class KeysModule {}
