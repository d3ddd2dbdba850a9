import { Module } from '@nestjs/common';
import { DashboardUiController } from './dashboard-ui.controller';

/** GET /: the admin dashboard in the browser (no authentication to load it; the data needs an admin). */
@Module({ controllers: [DashboardUiController] })
export class DashboardUiModule {}
