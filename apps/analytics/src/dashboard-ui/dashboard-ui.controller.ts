import { Controller, Get, Logger, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { findUiFolder, loadPage, PageAsset, sendPageAsset } from '@keymint/http-kit';
import { loadChartJs } from './chart-js';

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
    this.assets = loadPage(folder);
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
    sendPageAsset(reply, this.assets.get(file), 'The dashboard page is not installed on this server.');
  }
}
