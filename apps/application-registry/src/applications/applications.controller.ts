import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, ApiDoc, CurrentPrincipal, parseRequest, Principal, RequireAccess, wso2Error, CurrentRequestContext } from '@keymint/http-kit';
import type { RequestContext } from '@keymint/telemetry';
import { ApplicationInputSchema } from './dto/application.dto';
import { DevportalListQuerySchema } from './dto/list-applications.query';
import { ApplicationList, ApplicationListSchema, ApplicationSchema, ApplicationView } from './application-view';
import { ApplicationsService } from './applications.service';
import { JsonContentGuard } from '../common/json-content.guard';

const BASE_PATH = '/api/am/devportal/v2/applications';
const UNKNOWN = wso2Error('Unknown, or not yours');
const NAME_TAKEN = wso2Error('Name already used by this owner');

/** WSO2 Developer Portal v2: the caller's applications (an admin's: everyone's). */
@Controller('api/am/devportal/v2/applications')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('devportal')
export class ApplicationsController {
  constructor(@Inject(ApplicationsService) private readonly applications: ApplicationsService) {}

  @ApiDoc({ summary: 'List applications (own; an admin sees all)', query: DevportalListQuerySchema, responses: { 200: { description: 'Applications', body: ApplicationListSchema } } })
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<ApplicationList> {
    return this.applications.list(principal, parseRequest(DevportalListQuerySchema, query), BASE_PATH);
  }

  @ApiDoc({
    summary: 'Create an application',
    body: ApplicationInputSchema,
    responses: { 201: { description: 'Created', body: ApplicationSchema, headers: { Location: { description: 'Its path.' } } }, 409: NAME_TAKEN },
  })
  @Post()
  @HttpCode(201)
  async create(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationView> {
    const application = await this.applications.create(principal, parseRequest(ApplicationInputSchema, body), origin);
    void reply.header('Location', `${BASE_PATH}/${application.applicationId}`);
    return application;
  }

  @ApiDoc({ summary: 'Get an application with its keys', responses: { 200: { description: 'The application', body: ApplicationSchema }, 404: UNKNOWN } })
  @Get(':applicationId')
  get(@CurrentPrincipal() principal: Principal, @Param('applicationId') applicationId: string): Promise<ApplicationView> {
    return this.applications.get(principal, applicationId);
  }

  @ApiDoc({
    summary: 'Replace an application',
    body: ApplicationInputSchema,
    responses: { 200: { description: 'Updated', body: ApplicationSchema }, 404: UNKNOWN, 409: NAME_TAKEN },
  })
  @Put(':applicationId')
  update(
    @CurrentRequestContext() origin: RequestContext,
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Body() body: unknown,
  ): Promise<ApplicationView> {
    return this.applications.update(principal, applicationId, parseRequest(ApplicationInputSchema, body), origin);
  }

  @ApiDoc({ summary: 'Delete an application and its keys', responses: { 200: { description: 'Deleted (empty body)' }, 404: UNKNOWN } })
  @Delete(':applicationId')
  @HttpCode(200)
  async remove(@CurrentRequestContext() origin: RequestContext, @CurrentPrincipal() principal: Principal, @Param('applicationId') applicationId: string): Promise<void> {
    await this.applications.remove(principal, applicationId, origin);
  }
}
