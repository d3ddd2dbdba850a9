import { join } from 'node:path';
import { findUiFolder, loadAssets } from '@keymint/http-kit';
import { loadChartJs } from './chart-js';

describe('dashboard page assets', () => {
  it('finds apps/analytics/ui/dashboard and loads the page with its scripts in order (Chart.js first)', () => {
    const folder = findUiFolder(__dirname, 'analytics', 'dashboard');
    expect(folder).toBe(join(__dirname, '..', '..', 'ui', 'dashboard'));
    const html = loadAssets(folder, ['index.html']).get('index.html')!.body.toString();
    expect(html.indexOf('src="/dashboard/chart.js"')).toBeGreaterThan(0);
    expect(html.indexOf('src="/dashboard/chart.js"')).toBeLessThan(html.indexOf('src="/dashboard/app.js"'));
  });

  it('serves the Chart.js 4 UMD build from node_modules', () => {
    const chart = loadChartJs();
    expect(chart?.contentType).toBe('text/javascript; charset=utf-8');
    expect(chart!.body.subarray(0, 200).toString()).toMatch(/Chart\.js v4\./);
  });
});
