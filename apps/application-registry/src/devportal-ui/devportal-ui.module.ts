import { Module } from '@nestjs/common';
import { DevportalUiController } from './devportal-ui.controller';

/** GET /devportal: the Developer Portal in the browser (no authentication to load it; the data needs it). */
@Module({ controllers: [DevportalUiController] })
export class DevportalUiModule {}
