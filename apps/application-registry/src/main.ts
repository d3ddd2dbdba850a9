import 'reflect-metadata';
import { launchService } from '@keymint/http-kit';
import { ApplicationRegistryModule } from './application-registry.module';

launchService({ name: 'application-registry', module: (config) => ApplicationRegistryModule.forRoot(config), errorStyle: 'wso2' });
