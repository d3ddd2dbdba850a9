import { Controller, Get } from '@nestjs/common';
import { ACCESS_GUARD_SECURITY, buildOpenApiDocument, wso2Error } from '@keymint/http-kit';
import { StatisticsController } from './statistics.controller';

export const ANALYTICS_DOCUMENT = buildOpenApiDocument({
  title: 'keymint Analytics API',
  version: 'v1',
  description: 'Token statistics for administrators (docs/analytics.md).',
  basePath: '/api/analytics/v1',
  controllers: [StatisticsController],
  securitySchemes: ACCESS_GUARD_SECURITY.schemes,
  security: ACCESS_GUARD_SECURITY.requirement,
  commonResponses: {
    400: wso2Error('A bad parameter; the description names it.'),
    ...ACCESS_GUARD_SECURITY.responses,
    503: wso2Error('Credentials cannot be checked right now (the registry or the token service is unreachable, or the registry is busy with password checks).', {
      'Retry-After': { description: 'Seconds to wait.' },
    }),
  },
});

/** The API description, public like the registry's: built once from the controller's metadata and schemas. */
@Controller()
export class OpenApiController {
  @Get('api/analytics/v1/openapi.json')
  document(): Record<string, unknown> {
    return ANALYTICS_DOCUMENT;
  }
}
