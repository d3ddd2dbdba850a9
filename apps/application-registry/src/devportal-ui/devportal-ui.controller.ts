import { Controller, Get, Logger, NotFoundException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { findUiFolder, loadAssets, loadWithShared, PAGE_SECURITY_HEADERS, PageAsset } from '@keymint/http-kit';

const PAGE_FILES = ['index.html'] as const;

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
    this.assets = loadAssets(folder, PAGE_FILES);
    for (const file of ['style.css', 'app.js'] as const) {
      const asset = loadWithShared(folder, file);
      if (asset) this.assets.set(file, asset);
    }
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
    const asset = this.assets.get(file);
    if (!asset) throw new NotFoundException('The Developer Portal page is not installed on this server.');
    void reply.headers(PAGE_SECURITY_HEADERS).type(asset.contentType).send(asset.body);
  }
}
