import { EntityManager } from 'typeorm';
import { ListOf, RegisteredUsersRow } from '@keymint/contracts';
import { SqlParams } from '@keymint/persistence';
import { TABLES } from '../storage/analytics.entities';
import { table, toNumber } from '../storage/sql';
import { byApplicationName } from './answer-format';
import { activeApplications } from './issuance-in-range';
import { Page, TimeRange } from './query-params';
import { userPairs } from './user-pairs';

/** WSO2's "Registered Users for Application": distinct users with password-grant (or its refresh) tokens in the range. */
export async function registeredUsers(manager: EntityManager, range: TimeRange, page: Page): Promise<ListOf<RegisteredUsersRow>> {
  const activity = new SqlParams(manager.connection);
  const active: Array<Record<string, unknown>> = await manager.query(activeApplications(manager, range, activity), activity.values);
  const pairs = new SqlParams(manager.connection);
  const userCounts: Array<Record<string, unknown>> = await manager.query(
    `SELECT "applicationId", COUNT(*) AS "users" FROM (${userPairs(manager, range, pairs)}) pairs GROUP BY "applicationId"`,
    pairs.values,
  );
  const applications: Array<Record<string, unknown>> = await manager.query(
    `SELECT "applicationId", "name", "owner", "deletedAt" FROM ${table(manager, TABLES.applications)}`,
  );
  const users = new Map(userCounts.map((row) => [String(row.applicationId), toNumber(row.users)]));
  const known = new Map(applications.map((row) => [String(row.applicationId), row]));
  // Live applications always appear (0 users is an answer); deleted ones only while they have activity in range.
  const ids = new Set<string>([...active.map((row) => String(row.applicationId)), ...users.keys()]);
  for (const row of applications) if (row.deletedAt === null || row.deletedAt === undefined) ids.add(String(row.applicationId));
  const rows: RegisteredUsersRow[] = [...ids].map((applicationId) => {
    const application = known.get(applicationId);
    return {
      applicationId,
      applicationName: (application?.name as string | null | undefined) ?? null,
      owner: (application?.owner as string | null | undefined) ?? null,
      registeredUsers: users.get(applicationId) ?? 0,
    };
  });
  rows.sort((a, b) => b.registeredUsers - a.registeredUsers || byApplicationName(a, b));
  return { count: rows.length, list: rows.slice(page.offset, page.offset + page.limit) };
}
