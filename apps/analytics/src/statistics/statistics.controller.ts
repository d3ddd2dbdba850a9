import { Controller, Get, Headers, Inject, Param, Query as QueryParams, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccessGuard, RequireAccess } from '@keymint/http-kit';
import { toCsv, wantsCsv } from './csv';
import {
  parseEnum,
  parseLimit,
  parsePage,
  parseText,
  parseTimeRange,
  Query,
} from './query-params';
import { ApplicationUserRow, GRANT_TYPES, GRANULARITIES, IssuanceSeries, KEY_TYPES, ListOf, RegisteredUsersRow, Summary, TopUsersRow } from '@keymint/contracts';
import { StatisticsService } from './statistics.service';

type Accept = string | string[] | undefined;

/** JSON by default; `Accept: text/csv` gets the list as RFC 4180 CSV. */
function listResponse<T>(
  reply: FastifyReply,
  accept: Accept,
  name: string,
  body: T,
  header: readonly string[],
  rows: () => ReadonlyArray<readonly unknown[]>,
): T | string {
  reply.header('Vary', 'Accept');
  if (!wantsCsv(accept)) return body;
  reply.header('Content-Type', 'text/csv; charset=utf-8');
  reply.header('Content-Disposition', `attachment; filename="${name}.csv"`);
  return toCsv(header, rows());
}

@Controller('api/analytics/v1')
@UseGuards(AccessGuard)
@RequireAccess('admin')
export class StatisticsController {
  constructor(@Inject(StatisticsService) private readonly statistics: StatisticsService) {}

  @Get('summary')
  summary(@QueryParams() query: Query): Promise<Summary> {
    return this.statistics.summary(parseTimeRange(query));
  }

  @Get('token-issuance')
  async tokenIssuance(
    @QueryParams() query: Query,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuanceSeries | string> {
    const range = parseTimeRange(query);
    const filter = {
      granularity: parseEnum(query, 'granularity', GRANULARITIES, 'hour'),
      applicationId: parseText(query, 'applicationId', 100),
      grantType: parseEnum(query, 'grantType', GRANT_TYPES),
      keyType: parseEnum(query, 'keyType', KEY_TYPES),
    };
    const series = await this.statistics.tokenIssuance(range, filter, parsePage(query, 1000));
    return listResponse(reply, accept, 'token-issuance', series, ['time', 'grantType', 'minted', 'served'], () =>
      series.list.map((point) => [point.time, point.grantType, point.minted, point.served]),
    );
  }

  @Get('applications/registered-users')
  async registeredUsers(
    @QueryParams() query: Query,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListOf<RegisteredUsersRow> | string> {
    const range = parseTimeRange(query);
    const result = await this.statistics.registeredUsers(range, parsePage(query));
    return listResponse(reply, accept, 'registered-users', result, ['applicationId', 'applicationName', 'owner', 'registeredUsers'], () =>
      result.list.map((row) => [row.applicationId, row.applicationName, row.owner, row.registeredUsers]),
    );
  }

  @Get('applications/:applicationId/users')
  async applicationUsers(
    @Param('applicationId') applicationId: string,
    @QueryParams() query: Query,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListOf<ApplicationUserRow> | string> {
    const result = await this.statistics.applicationUsers(applicationId, parsePage(query));
    return listResponse(reply, accept, 'application-users', result, ['username', 'tokenCount', 'firstSeen', 'lastSeen'], () =>
      result.list.map((row) => [row.username, row.tokenCount, row.firstSeen, row.lastSeen]),
    );
  }

  @Get('top-users')
  async topUsers(
    @QueryParams() query: Query,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListOf<TopUsersRow> | string> {
    const result = await this.statistics.topUsers(parseLimit(query, 10));
    return listResponse(reply, accept, 'top-users', result, ['applicationId', 'applicationName', 'username', 'tokenCount'], () =>
      result.list.flatMap((row) => row.users.map((user) => [row.applicationId, row.applicationName, user.username, user.tokenCount])),
    );
  }
}
