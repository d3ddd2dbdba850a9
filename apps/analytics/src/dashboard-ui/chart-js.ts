import { dirname, join } from 'node:path';
import { assetFromFile, PageAsset } from '@keymint/http-kit';

/** Chart.js's UMD build from node_modules (bundled with the service: no CDN, nothing fetched at run time). */
export function loadChartJs(): PageAsset | null {
  try {
    // The package's exports map hides dist/chart.umd.js; its main entry lives in the same folder.
    return assetFromFile(join(dirname(require.resolve('chart.js')), 'chart.umd.js'));
  } catch {
    return null;
  }
}
