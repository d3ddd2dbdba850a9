import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, ApiDoc, parseRequest, RequireAccess, wso2Error, CurrentRequestContext } from '@keymint/http-kit';
import type { RequestContext } from '@keymint/telemetry';
import { ScopeInputSchema, ScopeListSchema, ScopeSchema, scopeInputSchema, ScopeView } from './dto/scope.dto';
import { ScopesService } from './scopes.service';
import { JsonContentGuard } from '../common/json-content.guard';

const UNKNOWN = wso2Error('Unknown scope');

@Controller('api/am/admin/v2/scopes')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('admin')
export class ScopesController {
  constructor(@Inject(ScopesService) private readonly scopes: ScopesService) {}

  @ApiDoc({ summary: 'List scopes', responses: { 200: { description: 'Scopes', body: ScopeListSchema } } })
  @Get()
  list(): Promise<{ count: number; list: ScopeView[] }> {
    return this.scopes.list();
  }

  @ApiDoc({ summary: 'Get a scope', responses: { 200: { description: 'The scope', body: ScopeSchema }, 404: UNKNOWN } })
  @Get(':name')
  get(@Param('name') name: string): Promise<ScopeView> {
    return this.scopes.get(name);
  }

  @ApiDoc({
    summary: 'Create or replace a scope',
    body: ScopeInputSchema,
    responses: {
      200: { description: 'Replaced', body: ScopeSchema },
      201: { description: 'Created', body: ScopeSchema, headers: { Location: { description: 'Its path.' } } },
    },
  })
  /** Creates (201 + Location) or replaces (200) the scope. */
  @Put(':name')
  async put(@CurrentRequestContext() origin: RequestContext, @Param('name') name: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<ScopeView> {
    const { created, scope } = await this.scopes.put(name, parseRequest(scopeInputSchema(name), body), origin);
    if (created) void reply.status(201).header('Location', `/api/am/admin/v2/scopes/${encodeURIComponent(name)}`);
    return scope;
  }

  @ApiDoc({
    summary: 'Delete a scope',
    responses: { 200: { description: 'Deleted (empty body)' }, 404: UNKNOWN, 409: wso2Error('Built in, or allowed on a key') },
  })
  @Delete(':name')
  @HttpCode(200)
  async remove(@Param('name') name: string): Promise<void> {
    await this.scopes.remove(name);
  }
}
