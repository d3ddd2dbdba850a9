import { Controller, Get, Inject, Logger, OnModuleInit, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findUiFolder, loadPage, PageAsset, sendPageAsset } from '@keymint/http-kit';

/**
 * The Developer Portal page: public HTML, CSS and JS; every piece of data it
 * shows comes from the Developer Portal REST API with the user's credentials.
 */
@Controller('devportal')
export class DevportalUiController implements OnModuleInit {
  private readonly assets: Map<string, PageAsset>;

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {
    const folder = findUiFolder(__dirname, 'application-registry', 'devportal');
    if (!folder) new Logger('DevportalUi').warn('the devportal page files (apps/application-registry/ui/devportal) were not found: /devportal answers 404');
    this.assets = loadPage(folder);
  }

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  /**
   * The addresses people type for the portal, `/` and `/devportal/`, lead to it (Nest's routes know no trailing
   * slash, so these two go to Fastify directly).
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const path of ['/', '/devportal/']) fastify.get(path, (_request, reply) => reply.redirect('/devportal', 302));
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
