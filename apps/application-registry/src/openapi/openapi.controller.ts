import { Controller, Get } from '@nestjs/common';
import { ACCESS_GUARD_SECURITY, buildOpenApiDocument, OpenApiOptions, wso2Error } from '@keymint/http-kit';
import { AdminApplicationsController } from '../applications/admin-applications.controller';
import { ApplicationsController } from '../applications/applications.controller';
import { KeysController } from '../keys/keys.controller';
import { ScopesController } from '../scopes/scopes.controller';
import { UsersController } from '../users/users.controller';

/** The controllers both documents are built from; each document takes the routes under its base path. */
export const DOCUMENTED_CONTROLLERS = [ApplicationsController, KeysController, AdminApplicationsController, UsersController, ScopesController];

const COMMON: Omit<OpenApiOptions, 'title' | 'basePath'> = {
  version: 'v2',
  controllers: DOCUMENTED_CONTROLLERS,
  securitySchemes: ACCESS_GUARD_SECURITY.schemes,
  security: ACCESS_GUARD_SECURITY.requirement,
  commonResponses: {
    400: wso2Error('Malformed request; the description names the field.'),
    ...ACCESS_GUARD_SECURITY.responses,
    503: wso2Error(
      'A Bearer token cannot be checked: the token service is unreachable (Basic still works); or too many password checks are in progress (retry after Retry-After).',
      { 'Retry-After': { description: 'Seconds to wait (sent when password checks are busy).' } },
    ),
  },
};

export const DEVPORTAL_DOCUMENT = buildOpenApiDocument({ ...COMMON, title: 'keymint Developer Portal API', basePath: '/api/am/devportal/v2' });
export const ADMIN_DOCUMENT = buildOpenApiDocument({ ...COMMON, title: 'keymint Admin API', basePath: '/api/am/admin/v2' });

/** The API descriptions, public like WSO2's: built once from the controllers' metadata and schemas. */
@Controller()
export class OpenApiController {
  @Get('api/am/devportal/v2/openapi.json')
  devportalDocument(): Record<string, unknown> {
    return DEVPORTAL_DOCUMENT;
  }

  @Get('api/am/admin/v2/openapi.json')
  adminDocument(): Record<string, unknown> {
    return ADMIN_DOCUMENT;
  }
}
