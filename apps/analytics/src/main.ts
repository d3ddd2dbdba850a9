import 'reflect-metadata';
import { launchService } from '@keymint/http-kit';
import { AnalyticsModule } from './analytics.module';

launchService({ name: 'analytics', module: (config) => AnalyticsModule.forRoot(config), errorStyle: 'wso2' });
