import { Controller, Get, Headers, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod/v4';
import { AccessGuard, ApiDoc, parseRequest, RequireAccess, ResponseDoc, wso2Error } from '@keymint/http-kit';
import { ApplicationUserRow, IssuanceSeries, ListOf, RegisteredUsersRow, Summary, TopUsersRow } from '@keymint/contracts';
import { toCsv, wantsCsv } from './csv';
import { ApplicationUsersQuery, RegisteredUsersQuery, SummaryQuery, TokenIssuanceQuery, TopUsersQuery } from './query-params';
import { ApplicationUsersSchema, CsvSchema, IssuanceSeriesSchema, RegisteredUsersSchema, SummarySchema, TopUsersSchema } from './response-schemas';
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

/** A list answer, as JSON or (`Accept: text/csv`) as CSV. */
function listDoc(description: string, schema: z.ZodType): Record<number, ResponseDoc> {
  return { 200: { description, body: { 'application/json': schema, 'text/csv': CsvSchema } } };
}

@Controller('api/analytics/v1')
@UseGuards(AccessGuard)
@RequireAccess('admin')
export class StatisticsController {
  constructor(@Inject(StatisticsService) private readonly statistics: StatisticsService) {}

  @ApiDoc({ summary: 'Token counts, reuse and registered users in a time range', query: SummaryQuery, responses: { 200: { description: 'The summary', body: SummarySchema } } })
  @Get('summary')
  summary(@Query() query: unknown): Promise<Summary> {
    return this.statistics.summary(parseRequest(SummaryQuery, query).range);
  }

  @ApiDoc({ summary: 'Tokens per time bucket and grant type (a sparse series)', query: TokenIssuanceQuery, responses: listDoc('The series', IssuanceSeriesSchema) })
  @Get('token-issuance')
  async tokenIssuance(
    @Query() query: unknown,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuanceSeries | string> {
    const { range, filter, page } = parseRequest(TokenIssuanceQuery, query);
    const series = await this.statistics.tokenIssuance(range, filter, page);
    return listResponse(reply, accept, 'token-issuance', series, ['time', 'grantType', 'minted', 'served'], () =>
      series.list.map((point) => [point.time, point.grantType, point.minted, point.served]),
    );
  }

  @ApiDoc({
    summary: 'Registered users per application (password and refresh-token grants)',
    query: RegisteredUsersQuery,
    responses: listDoc('Applications, most users first', RegisteredUsersSchema),
  })
  @Get('applications/registered-users')
  async registeredUsers(
    @Query() query: unknown,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListOf<RegisteredUsersRow> | string> {
    const { range, page } = parseRequest(RegisteredUsersQuery, query);
    const result = await this.statistics.registeredUsers(range, page);
    return listResponse(reply, accept, 'registered-users', result, ['applicationId', 'applicationName', 'owner', 'registeredUsers'], () =>
      result.list.map((row) => [row.applicationId, row.applicationName, row.owner, row.registeredUsers]),
    );
  }

  @ApiDoc({
    summary: 'The users of one application, all time',
    query: ApplicationUsersQuery,
    responses: { ...listDoc('Users, most tokens first', ApplicationUsersSchema), 404: wso2Error('An application analytics never saw') },
  })
  @Get('applications/:applicationId/users')
  async applicationUsers(
    @Param('applicationId') applicationId: string,
    @Query() query: unknown,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListOf<ApplicationUserRow> | string> {
    const result = await this.statistics.applicationUsers(applicationId, parseRequest(ApplicationUsersQuery, query));
    return listResponse(reply, accept, 'application-users', result, ['username', 'tokenCount', 'firstSeen', 'lastSeen'], () =>
      result.list.map((row) => [row.username, row.tokenCount, row.firstSeen, row.lastSeen]),
    );
  }

  @ApiDoc({ summary: 'The busiest users of every application, all time', query: TopUsersQuery, responses: listDoc('Applications, busiest first', TopUsersSchema) })
  @Get('top-users')
  async topUsers(
    @Query() query: unknown,
    @Headers('accept') accept: Accept,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListOf<TopUsersRow> | string> {
    const result = await this.statistics.topUsers(parseRequest(TopUsersQuery, query).limit);
    return listResponse(reply, accept, 'top-users', result, ['applicationId', 'applicationName', 'username', 'tokenCount'], () =>
      result.list.flatMap((row) => row.users.map((user) => [row.applicationId, row.applicationName, user.username, user.tokenCount])),
    );
  }
}
