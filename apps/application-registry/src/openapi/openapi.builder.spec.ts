import { AdminApplicationsController } from '../applications/admin-applications.controller';
import { ApplicationsController } from '../applications/applications.controller';
import { KeysController } from '../keys/keys.controller';
import { ScopesController } from '../scopes/scopes.controller';
import { UsersController } from '../users/users.controller';
import { buildOpenApiDocument } from './openapi.builder';
import { SCHEMAS } from './schemas';

const controllers = [ApplicationsController, KeysController, AdminApplicationsController, UsersController, ScopesController];

describe('OpenAPI documents built from the controllers', () => {
  it('lists every Developer Portal route with its methods', () => {
    const document = buildOpenApiDocument({ title: 't', basePath: '/api/am/devportal/v2', controllers }) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'get /applications',
        'post /applications',
        'get /applications/{applicationId}',
        'put /applications/{applicationId}',
        'delete /applications/{applicationId}',
        'post /applications/{applicationId}/generate-keys',
        'get /applications/{applicationId}/oauth-keys',
        'get /applications/{applicationId}/oauth-keys/{keyMappingId}',
        'put /applications/{applicationId}/oauth-keys/{keyMappingId}',
        'delete /applications/{applicationId}/oauth-keys/{keyMappingId}',
        'post /applications/{applicationId}/oauth-keys/{keyMappingId}/regenerate-secret',
        'post /applications/{applicationId}/oauth-keys/{keyMappingId}/generate-token',
      ].sort(),
    );
  });

  it('lists the Admin API routes and only refers to schemas that exist', () => {
    const document = buildOpenApiDocument({ title: 't', basePath: '/api/am/admin/v2', controllers });
    expect(Object.keys((document as { paths: object }).paths).sort()).toEqual(
      ['/applications', '/scopes', '/scopes/{name}', '/users', '/users/{username}', '/users/{username}/password'].sort(),
    );
    const references = [...JSON.stringify(document).matchAll(/#\/components\/schemas\/(\w+)/g)].map((match) => match[1]);
    expect(references.length).toBeGreaterThan(10);
    for (const name of references) expect(SCHEMAS).toHaveProperty(name);
  });
});
