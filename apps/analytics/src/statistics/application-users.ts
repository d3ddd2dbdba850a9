import { NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ApplicationUserRow, ListOf, TopUsersRow } from '@keymint/contracts';
import { errorBody } from '@keymint/http-kit';
import { SqlParams } from '@keymint/persistence';
import { TABLES } from '../storage/analytics.entities';
import { table, toNumber } from '../storage/sql';
import { byApplicationName, iso } from './answer-format';
import { Page } from './query-params';

/** The users of one application (all time), most tokens first; 404 for an application never seen. */
export async function applicationUsers(manager: EntityManager, applicationId: string, page: Page): Promise<ListOf<ApplicationUserRow>> {
  const lookup = new SqlParams(manager.connection);
  const [application] = await manager.query(
    `SELECT "applicationId" FROM ${table(manager, TABLES.applications)} WHERE "applicationId" = ${lookup.add(applicationId)}`,
    lookup.values,
  );
  if (!application) throw new NotFoundException(errorBody('wso2', 404, `No statistics for application '${applicationId}'.`));
  const counting = new SqlParams(manager.connection);
  const [total] = await manager.query(
    `SELECT COUNT(*) AS "users" FROM ${table(manager, TABLES.applicationUsers)} WHERE "applicationId" = ${counting.add(applicationId)}`,
    counting.values,
  );
  const params = new SqlParams(manager.connection);
  const rows: Array<Record<string, unknown>> = await manager.query(
    `SELECT "username", "tokenCount", "firstSeen", "lastSeen" FROM ${table(manager, TABLES.applicationUsers)} ` +
      `WHERE "applicationId" = ${params.add(applicationId)} ORDER BY "tokenCount" DESC, "username" ASC ` +
      `LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
    params.values,
  );
  return {
    count: toNumber(total?.users),
    list: rows.map((row) => ({
      username: String(row.username),
      tokenCount: toNumber(row.tokenCount),
      firstSeen: iso(toNumber(row.firstSeen)),
      lastSeen: iso(toNumber(row.lastSeen)),
    })),
  };
}

/** The `limit` users with the most tokens of each application (all time), applications by those users' tokens. */
export async function topUsers(manager: EntityManager, limit: number): Promise<ListOf<TopUsersRow>> {
  const params = new SqlParams(manager.connection);
  const rows: Array<Record<string, unknown>> = await manager.query(
    `SELECT ranked."applicationId", ranked."username", ranked."tokenCount", apps."name" FROM (` +
      `SELECT "applicationId", "username", "tokenCount", ROW_NUMBER() OVER (PARTITION BY "applicationId" ORDER BY "tokenCount" DESC, "username" ASC) AS "position" ` +
      `FROM ${table(manager, TABLES.applicationUsers)}) ranked ` +
      `LEFT JOIN ${table(manager, TABLES.applications)} apps ON apps."applicationId" = ranked."applicationId" ` +
      `WHERE ranked."position" <= ${params.add(limit)} ORDER BY ranked."applicationId", ranked."position"`,
    params.values,
  );
  const byApplication = new Map<string, TopUsersRow & { total: number }>();
  for (const row of rows) {
    const applicationId = String(row.applicationId);
    let entry = byApplication.get(applicationId);
    if (!entry) {
      entry = { applicationId, applicationName: (row.name as string | null | undefined) ?? null, users: [], total: 0 };
      byApplication.set(applicationId, entry);
    }
    const tokenCount = toNumber(row.tokenCount);
    entry.users.push({ username: String(row.username), tokenCount });
    entry.total += tokenCount;
  }
  const list = [...byApplication.values()]
    .sort((a, b) => b.total - a.total || byApplicationName(a, b))
    .map(({ applicationId, applicationName, users }) => ({ applicationId, applicationName, users }));
  return { count: list.length, list };
}
