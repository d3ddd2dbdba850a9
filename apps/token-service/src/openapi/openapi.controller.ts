import { Controller, Get } from '@nestjs/common';
import { TOKEN_SERVICE_DOCUMENT } from './openapi-document';

/** The Token API's description, public like the metadata and the JWKS (and on both listeners, as they are). */
@Controller()
export class OpenApiController {
  @Get('oauth2/openapi.json')
  document(): Record<string, unknown> {
    return TOKEN_SERVICE_DOCUMENT;
  }
}
