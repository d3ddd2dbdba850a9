import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, RequireAccess } from '@keymint/http-kit';
import { parseScopeInput, ScopesService, ScopeView } from './scopes.service';
import { JsonContentGuard } from '../common/json-content.guard';
import { ApiDoc } from '../openapi/api-doc.decorator';

@Controller('api/am/admin/v2/scopes')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('admin')
export class ScopesController {
  constructor(@Inject(ScopesService) private readonly scopes: ScopesService) {}

  @ApiDoc({ summary: 'List scopes', responses: { 200: ['Scopes', 'ScopeList'] } })
  @Get()
  list(): Promise<{ count: number; list: ScopeView[] }> {
    return this.scopes.list();
  }

  @ApiDoc({ summary: 'Get a scope', responses: { 200: ['The scope', 'Scope'], 404: ['Unknown scope', 'Error'] } })
  @Get(':name')
  get(@Param('name') name: string): Promise<ScopeView> {
    return this.scopes.get(name);
  }

  @ApiDoc({ summary: 'Create or replace a scope', body: 'ScopeInput', responses: { 200: ['Replaced', 'Scope'], 201: ['Created (Location header)', 'Scope'] } })
  /** Creates (201 + Location) or replaces (200) the scope. */
  @Put(':name')
  async put(@Param('name') name: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<ScopeView> {
    const { created, scope } = await this.scopes.put(name, parseScopeInput(name, body));
    if (created) void reply.status(201).header('Location', `/api/am/admin/v2/scopes/${encodeURIComponent(name)}`);
    return scope;
  }

  @ApiDoc({ summary: 'Delete a scope', responses: { 200: ['Deleted'], 404: ['Unknown scope', 'Error'], 409: ['Built in, or allowed on a key', 'Error'] } })
  @Delete(':name')
  @HttpCode(200)
  async remove(@Param('name') name: string): Promise<void> {
    await this.scopes.remove(name);
  }
}
