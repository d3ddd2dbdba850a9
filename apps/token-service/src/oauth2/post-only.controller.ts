import { Controller, Delete, Get, Options, Patch, Put } from '@nestjs/common';
import { OAuth2Error } from './oauth2-error';

const POST_ONLY_PATHS = ['token', 'oauth2/token', 'revoke', 'oauth2/revoke', 'introspect', 'oauth2/introspect'];

/**
 * Any other method on the POST-only endpoints gets 405 with `Allow: POST` in
 * the OAuth 2.0 error shape (Keycloak and Hydra answer 405 too), not a 404.
 */
@Controller()
export class PostOnlyController {
  @Get(POST_ONLY_PATHS)
  get(): never {
    throw OAuth2Error.methodNotAllowed();
  }

  @Put(POST_ONLY_PATHS)
  put(): never {
    throw OAuth2Error.methodNotAllowed();
  }

  @Patch(POST_ONLY_PATHS)
  patch(): never {
    throw OAuth2Error.methodNotAllowed();
  }

  @Delete(POST_ONLY_PATHS)
  delete(): never {
    throw OAuth2Error.methodNotAllowed();
  }

  @Options(POST_ONLY_PATHS)
  options(): never {
    throw OAuth2Error.methodNotAllowed();
  }
}
