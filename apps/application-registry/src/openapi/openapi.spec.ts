import { loadConfig, applicationRegistryEnvShape } from '@keymint/config';
import { controllersOf, documentedRoutes, mountedRoutes, OBSERVABILITY_ROUTES } from '../../../../libs/http-kit/test/routes';
import { ApplicationRegistryModule } from '../application-registry.module';
import { ADMIN_DOCUMENT, DEVPORTAL_DOCUMENT } from './openapi.controller';

/**
 * Routes that are not part of the two APIs, and so in neither document:
 * the probes and metrics, the documents themselves, and the Developer Portal page.
 */
const NOT_DOCUMENTED = [
  ...OBSERVABILITY_ROUTES,
  'GET /api/am/devportal/v2/openapi.json',
  'GET /api/am/admin/v2/openapi.json',
  'GET /devportal',
  // The addresses people type for the portal: redirects to it.
  'GET /',
  'GET /devportal/',
  'GET /devportal/app.js',
  'GET /devportal/style.css',
];

describe('the registry OpenAPI documents', () => {
  it('describe exactly the routes the application has, apart from the listed internal ones', async () => {
    const module = ApplicationRegistryModule.forRoot(loadConfig(applicationRegistryEnvShape, {}));
    const mounted = await mountedRoutes(controllersOf(module));
    const documented = [...documentedRoutes(DEVPORTAL_DOCUMENT), ...documentedRoutes(ADMIN_DOCUMENT)].sort();
    expect(documented).toEqual(mounted.filter((route) => !NOT_DOCUMENTED.includes(route)));
    expect(mounted).toEqual(expect.arrayContaining(NOT_DOCUMENTED));
  });

  it('are OpenAPI 3.1 whose references all resolve', () => {
    for (const document of [DEVPORTAL_DOCUMENT, ADMIN_DOCUMENT]) {
      expect(document.openapi).toBe('3.1.0');
      const components = document.components as Record<string, Record<string, unknown>>;
      for (const [, section, name] of JSON.stringify(document).matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
        expect(components[section]).toHaveProperty(name);
      }
    }
  });
});
