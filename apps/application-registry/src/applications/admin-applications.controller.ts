import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { AccessGuard, ApiDoc, CurrentPrincipal, parseRequest, Principal, RequireAccess } from '@keymint/http-kit';
import { AdminListQuerySchema } from './dto/list-applications.query';
import { ApplicationList, ApplicationListSchema } from './application-view';
import { ApplicationsService } from './applications.service';

/** Admin API: every owner's applications (`user` narrows to one owner). */
@Controller('api/am/admin/v2/applications')
@UseGuards(AccessGuard)
@RequireAccess('admin')
export class AdminApplicationsController {
  constructor(@Inject(ApplicationsService) private readonly applications: ApplicationsService) {}

  @ApiDoc({ summary: "Every owner's applications", query: AdminListQuerySchema, responses: { 200: { description: 'Applications', body: ApplicationListSchema } } })
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<ApplicationList> {
    return this.applications.list(principal, parseRequest(AdminListQuerySchema, query), '/api/am/admin/v2/applications');
  }
}
