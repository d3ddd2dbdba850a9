import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { AccessGuard, CurrentPrincipal, Principal, RequireAccess } from '@keymint/http-kit';
import { parseApplicationListQuery } from './dto/list-applications.query';
import { ApplicationList, ApplicationsService } from './applications.service';
import { ApiDoc, APPLICATION_LIST_QUERY } from '../openapi/api-doc.decorator';

/** Admin API: every owner's applications (`user` narrows to one owner). */
@Controller('api/am/admin/v2/applications')
@UseGuards(AccessGuard)
@RequireAccess('admin')
export class AdminApplicationsController {
  constructor(@Inject(ApplicationsService) private readonly applications: ApplicationsService) {}

  @ApiDoc({ summary: "Every owner's applications", query: [...APPLICATION_LIST_QUERY, { name: 'user', description: 'Only this owner.', schema: { type: 'string' } }], responses: { 200: ['Applications', 'ApplicationList'] } })
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<ApplicationList> {
    return this.applications.list(principal, parseApplicationListQuery(query, { allowOwner: true }), '/api/am/admin/v2/applications');
  }
}
