import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { ScopesModule } from '../scopes/scopes.module';
import { AdminBootstrap } from './admin-bootstrap';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [ApplicationsModule, ScopesModule],
  controllers: [UsersController],
  providers: [UsersService, AdminBootstrap],
  exports: [UsersService],
})
export class UsersModule {}
