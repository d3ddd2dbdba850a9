import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, CurrentPrincipal, Principal, RequireAccess } from '@keymint/http-kit';
import { parseApplicationInput } from './dto/application.dto';
import { parseApplicationListQuery } from './dto/list-applications.query';
import { ApplicationList, ApplicationsService, ApplicationView } from './applications.service';
import { JsonContentGuard } from '../common/json-content.guard';
import { ApiDoc, APPLICATION_LIST_QUERY } from '../openapi/api-doc.decorator';

const BASE_PATH = '/api/am/devportal/v2/applications';

/** WSO2 Developer Portal v2: the caller's applications (an admin's: everyone's). */
@Controller('api/am/devportal/v2/applications')
@UseGuards(AccessGuard, JsonContentGuard)
@RequireAccess('devportal')
export class ApplicationsController {
  constructor(@Inject(ApplicationsService) private readonly applications: ApplicationsService) {}

  @ApiDoc({ summary: 'List applications (own; an admin sees all)', query: APPLICATION_LIST_QUERY, responses: { 200: ['Applications', 'ApplicationList'] } })
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<ApplicationList> {
    return this.applications.list(principal, parseApplicationListQuery(query, { allowOwner: false }), BASE_PATH);
  }

  @ApiDoc({ summary: 'Create an application', body: 'ApplicationInput', responses: { 201: ['Created (Location header)', 'Application'], 409: ['Name already used by this owner', 'Error'] } })
  @Post()
  @HttpCode(201)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationView> {
    const application = await this.applications.create(principal, parseApplicationInput(body));
    void reply.header('Location', `${BASE_PATH}/${application.applicationId}`);
    return application;
  }

  @ApiDoc({ summary: 'Get an application with its keys', responses: { 200: ['The application', 'Application'], 404: ['Unknown or not yours', 'Error'] } })
  @Get(':applicationId')
  get(@CurrentPrincipal() principal: Principal, @Param('applicationId') applicationId: string): Promise<ApplicationView> {
    return this.applications.get(principal, applicationId);
  }

  @ApiDoc({ summary: 'Replace an application', body: 'ApplicationInput', responses: { 200: ['Updated', 'Application'], 404: ['Unknown or not yours', 'Error'], 409: ['Name already used by this owner', 'Error'] } })
  @Put(':applicationId')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('applicationId') applicationId: string,
    @Body() body: unknown,
  ): Promise<ApplicationView> {
    return this.applications.update(principal, applicationId, parseApplicationInput(body));
  }

  @ApiDoc({ summary: 'Delete an application and its keys', responses: { 200: ['Deleted'], 404: ['Unknown or not yours', 'Error'] } })
  @Delete(':applicationId')
  @HttpCode(200)
  async remove(@CurrentPrincipal() principal: Principal, @Param('applicationId') applicationId: string): Promise<void> {
    await this.applications.remove(principal, applicationId);
  }
}
