import { analyticsEnvShape, loadConfig } from '@keymint/config';
import { controllersOf, documentedRoutes, mountedRoutes, OBSERVABILITY_ROUTES } from '../../../../libs/http-kit/test/routes';
import { AnalyticsModule } from '../analytics.module';
import { ANALYTICS_DOCUMENT } from './openapi.controller';

/** Routes outside the statistics API: the probes and metrics, the document itself, the dashboard page. */
const NOT_DOCUMENTED = [
  ...OBSERVABILITY_ROUTES,
  'GET /api/analytics/v1/openapi.json',
  'GET /',
  'GET /dashboard/app.js',
  'GET /dashboard/style.css',
  'GET /dashboard/chart.js',
];

describe('the analytics OpenAPI document', () => {
  it('describes exactly the routes the application has, apart from the listed internal ones', async () => {
    const mounted = await mountedRoutes(controllersOf(AnalyticsModule.forRoot(loadConfig(analyticsEnvShape, {}))));
    expect(documentedRoutes(ANALYTICS_DOCUMENT)).toEqual(mounted.filter((route) => !NOT_DOCUMENTED.includes(route)));
    expect(mounted).toEqual(expect.arrayContaining(NOT_DOCUMENTED));
  });

  it('lists each endpoint with its query parameters, its JSON and CSV answers, and references that resolve', () => {
    const paths = ANALYTICS_DOCUMENT.paths as Record<string, { get: { parameters?: Array<{ name: string }>; responses: Record<string, { content?: object }> } }>;
    const names = (path: string) => (paths[path].get.parameters ?? []).map((parameter) => parameter.name);
    expect(names('/summary')).toEqual(['from', 'to']);
    expect(names('/token-issuance')).toEqual(['from', 'to', 'granularity', 'applicationId', 'grantType', 'keyType', 'clientAuthMethod', 'tokenBinding', 'limit', 'offset']);
    expect(names('/applications/{applicationId}/users')).toEqual(['applicationId', 'limit', 'offset']);
    expect(Object.keys(paths['/top-users'].get.responses[200].content!)).toEqual(['application/json', 'text/csv']);
    const components = ANALYTICS_DOCUMENT.components as Record<string, Record<string, unknown>>;
    for (const [, section, name] of JSON.stringify(ANALYTICS_DOCUMENT).matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      expect(components[section]).toHaveProperty(name);
    }
  });
});
