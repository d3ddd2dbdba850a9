import { Controller, Get, Logger, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { findUiFolder, loadPage, PageAsset, sendPageAsset } from '@keymint/http-kit';

/**
 * The Developer Portal page: public HTML, CSS and JS; every piece of data it
 * shows comes from the Developer Portal REST API with the user's credentials.
 */
@Controller('devportal')
export class DevportalUiController {
  private readonly assets: Map<string, PageAsset>;

  constructor() {
    const folder = findUiFolder(__dirname, 'application-registry', 'devportal');
    if (!folder) new Logger('DevportalUi').warn('the devportal page files (apps/application-registry/ui/devportal) were not found: /devportal answers 404');
    this.assets = loadPage(folder);
  }

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get('app.js')
  script(@Res() reply: FastifyReply): void {
    this.send(reply, 'app.js');
  }

  @Get('style.css')
  style(@Res() reply: FastifyReply): void {
    this.send(reply, 'style.css');
  }

  private send(reply: FastifyReply, file: string): void {
    sendPageAsset(reply, this.assets.get(file), 'The Developer Portal page is not installed on this server.');
  }
}
