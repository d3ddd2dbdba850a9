import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OpenApiController } from './openapi.controller';
import { StatisticsController } from './statistics.controller';
import { StatisticsService } from './statistics.service';

@Module({
  imports: [AuthModule],
  controllers: [StatisticsController, OpenApiController],
  providers: [StatisticsService],
})
export class StatisticsModule {}
