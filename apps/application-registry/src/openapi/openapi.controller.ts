import { Controller, Get } from '@nestjs/common';
import { AdminApplicationsController } from '../applications/admin-applications.controller';
import { ApplicationsController } from '../applications/applications.controller';
import { KeysController } from '../keys/keys.controller';
import { ScopesController } from '../scopes/scopes.controller';
import { UsersController } from '../users/users.controller';
import { buildOpenApiDocument } from './openapi.builder';

const CONTROLLERS = [ApplicationsController, KeysController, AdminApplicationsController, UsersController, ScopesController];

/** The API descriptions, public like WSO2's: built once from the controllers' metadata. */
@Controller()
export class OpenApiController {
  private readonly devportal = buildOpenApiDocument({ title: 'keymint Developer Portal API', basePath: '/api/am/devportal/v2', controllers: CONTROLLERS });
  private readonly admin = buildOpenApiDocument({ title: 'keymint Admin API', basePath: '/api/am/admin/v2', controllers: CONTROLLERS });

  @Get('api/am/devportal/v2/openapi.json')
  devportalDocument(): Record<string, unknown> {
    return this.devportal;
  }

  @Get('api/am/admin/v2/openapi.json')
  adminDocument(): Record<string, unknown> {
    return this.admin;
  }
}
