import { Controller, Get, Logger, NotFoundException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { findUiFolder, loadAssets, loadWithShared, PAGE_SECURITY_HEADERS, PageAsset } from '@keymint/http-kit';
import { loadChartJs } from './chart-js';

const PAGE_FILES = ['index.html'] as const;

/**
 * The admin dashboard at `/`: public HTML, CSS and JS (Chart.js served from
 * node_modules); its data comes from /api/analytics/v1 with the admin's credentials.
 */
@Controller()
export class DashboardUiController {
  private readonly assets: Map<string, PageAsset>;

  constructor() {
    const logger = new Logger('DashboardUi');
    const folder = findUiFolder(__dirname, 'analytics', 'dashboard');
    if (!folder) logger.warn('the dashboard page files (apps/analytics/ui/dashboard) were not found: / answers 404');
    this.assets = loadAssets(folder, PAGE_FILES);
    for (const file of ['style.css', 'app.js'] as const) {
      const asset = loadWithShared(folder, file);
      if (asset) this.assets.set(file, asset);
    }
    const chart = loadChartJs();
    if (chart) this.assets.set('chart.js', chart);
    else logger.warn('chart.js is not installed (npm ci): the dashboard shows tables only');
  }

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get('dashboard/app.js')
  script(@Res() reply: FastifyReply): void {
    this.send(reply, 'app.js');
  }

  @Get('dashboard/style.css')
  style(@Res() reply: FastifyReply): void {
    this.send(reply, 'style.css');
  }

  @Get('dashboard/chart.js')
  chartLibrary(@Res() reply: FastifyReply): void {
    this.send(reply, 'chart.js');
  }

  private send(reply: FastifyReply, file: string): void {
    const asset = this.assets.get(file);
    if (!asset) throw new NotFoundException('The dashboard page is not installed on this server.');
    void reply.headers(PAGE_SECURITY_HEADERS).type(asset.contentType).send(asset.body);
  }
}
