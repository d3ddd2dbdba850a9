import { CONFIG, loadConfig, tokenServiceEnvShape } from '@keymint/config';
import { controllersOf, documentedRoutes, mountedRoutes, OBSERVABILITY_ROUTES } from '../../../../libs/http-kit/test/routes';
import { TokenResponse, TokenResponseSchema } from '../oauth2/http-schemas';
import { TokenServiceModule } from '../token-service.module';
import { TOKEN_SERVICE_DOCUMENT } from './openapi-document';

/** Routes outside the Token API: the probes and metrics, the document itself. */
const NOT_DOCUMENTED = [
  ...OBSERVABILITY_ROUTES,
  'GET /oauth2/openapi.json',
  // The metadata at the issuer's path (RFC 8414 §3.1), which depends on ISSUER: in the description of the metadata operation.
  'GET /.well-known/oauth-authorization-server/*',
  // 404s that say where the metadata is (keymint is no OpenID Provider).
  'GET /.well-known/openid-configuration',
  'GET /.well-known/openid-configuration/*',
];
/** The 405 answers to other methods on the POST-only endpoints (docs/token-api.md, "Errors"). */
const POST_ONLY_PATHS = ['/token', '/oauth2/token', '/revoke', '/oauth2/revoke', '/introspect', '/oauth2/introspect'];
const METHOD_NOT_ALLOWED = ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].flatMap((method) => POST_ONLY_PATHS.map((path) => `${method} ${path}`));

describe('the Token API OpenAPI document', () => {
  const config = loadConfig(tokenServiceEnvShape, {});

  it('describes exactly the routes the service has, apart from the listed internal ones', async () => {
    const mounted = await mountedRoutes(controllersOf(TokenServiceModule.forRoot(config)), (token) => (token === CONFIG ? config : undefined));
    const internal = [...NOT_DOCUMENTED, ...METHOD_NOT_ALLOWED];
    expect(documentedRoutes(TOKEN_SERVICE_DOCUMENT)).toEqual(mounted.filter((route) => !internal.includes(route)));
    expect(mounted).toEqual(expect.arrayContaining(internal));
  });

  it('gives each grant its form and JSON body, the RFC 6749 answers and their headers', () => {
    const paths = TOKEN_SERVICE_DOCUMENT.paths as Record<string, Record<string, { requestBody?: { content: object }; responses: Record<string, { headers?: object }> }>>;
    for (const path of ['/token', '/oauth2/token']) {
      const token = paths[path].post;
      expect(Object.keys(token.requestBody!.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
      expect(Object.keys(token.responses).sort()).toEqual(['200', '400', '401', '429', '503']);
      expect(token.responses[401].headers).toHaveProperty('WWW-Authenticate');
      expect(token.responses[429].headers).toHaveProperty('Retry-After');
      expect(token.responses[503].headers).toHaveProperty('Retry-After');
    }
    const schemas = (TOKEN_SERVICE_DOCUMENT.components as { schemas: Record<string, { anyOf?: Array<{ $ref: string }> }> }).schemas;
    expect(schemas.TokenRequest.anyOf!.map((grant) => grant.$ref)).toEqual([
      '#/components/schemas/ClientCredentialsRequest',
      '#/components/schemas/PasswordRequest',
      '#/components/schemas/RefreshTokenRequest',
    ]);
    for (const [, section, name] of JSON.stringify(TOKEN_SERVICE_DOCUMENT).matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      expect((TOKEN_SERVICE_DOCUMENT.components as Record<string, object>)[section]).toHaveProperty(name);
    }
  });

  it('has a success schema that accepts the WSO2 answers', () => {
    const answer: TokenResponse = { access_token: 'a', scope: 'am_application_scope default', token_type: 'Bearer', expires_in: 3600 };
    expect(TokenResponseSchema.parse(answer)).toEqual(answer);
    expect(TokenResponseSchema.safeParse({ ...answer, token_type: 'bearer' }).success).toBe(false);
  });
});
