import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  ApplicationUserRow,
  GrantCounts,
  GrantType,
  IssuanceSeries,
  KeyType,
  ListOf,
  RegisteredUsersRow,
  Summary,
  TopUsersRow,
} from '@keymint/contracts';
import { errorBody } from '@keymint/http-kit';
import { Database, SqlParams } from '@keymint/persistence';
import { floorTo, Resolution, RESOLUTION_MS } from '../ingestion/aggregate';
import { ISSUANCE_TABLES, TABLES, USER_ACTIVITY_TABLES } from '../storage/analytics.entities';
import { table, toNumber } from '../storage/sql';
import { Page, TimeRange } from './query-params';
import { coverRange } from './time-range';

export interface IssuanceFilter {
  granularity: Resolution;
  applicationId?: string;
  grantType?: GrantType;
  keyType?: KeyType;
}

const iso = (time: number): string => new Date(time).toISOString();
const zeroCounts = (): GrantCounts => ({ client_credentials: 0, password: 0, refresh_token: 0 });

/** Reads the rollups, never raw events, so a year of data answers in milliseconds. */
@Injectable()
export class StatisticsService {
  constructor(@Inject(Database) private readonly database: Database) {}

  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.database.consistentRead(work);
  }

  async summary(range: TimeRange): Promise<Summary> {
    return this.read(async (manager) => {
      const minted = zeroCounts();
      const served = zeroCounts();
      const applications = await this.issuanceByApplication(manager, range, (row) => {
        const grantType = row.grantType as GrantType;
        if (!(grantType in minted)) return;
        minted[grantType] += toNumber(row.minted);
        served[grantType] += toNumber(row.served);
      });
      const params = new SqlParams(manager.connection);
      const [users] = await manager.query(`SELECT COUNT(*) AS "pairs" FROM (${userPairs(manager, range, params)}) pairs`, params.values);
      const totalMinted = Object.values(minted).reduce((sum, value) => sum + value, 0);
      const totalServed = Object.values(served).reduce((sum, value) => sum + value, 0);
      return {
        from: iso(range.from),
        to: iso(range.to),
        minted,
        served,
        reused: totalServed - totalMinted,
        registeredUsers: toNumber(users?.pairs),
        applications: applications.size,
      };
    });
  }

  async tokenIssuance(range: TimeRange, filter: IssuanceFilter, page: Page): Promise<IssuanceSeries> {
    const size = RESOLUTION_MS[filter.granularity];
    const start = floorTo(range.from, size);
    const end = Math.max(start, Math.ceil(range.to / size) * size);
    return this.read(async (manager) => {
      // Each query numbers its own placeholders (PostgreSQL's $n), so the grouped query is built per query.
      const grouped = (params: SqlParams) => {
        const conditions = [`"bucket" >= ${params.add(start)}`, `"bucket" < ${params.add(end)}`];
        if (filter.applicationId !== undefined) conditions.push(`"applicationId" = ${params.add(filter.applicationId)}`);
        if (filter.grantType !== undefined) conditions.push(`"grantType" = ${params.add(filter.grantType)}`);
        if (filter.keyType !== undefined) conditions.push(`"keyType" = ${params.add(filter.keyType)}`);
        return (
          `SELECT "bucket", "grantType", SUM("minted") AS "minted", SUM("served") AS "served" ` +
          `FROM ${table(manager, ISSUANCE_TABLES[filter.granularity])} WHERE ${conditions.join(' AND ')} GROUP BY "bucket", "grantType"`
        );
      };
      const counting = new SqlParams(manager.connection);
      const [total] = await manager.query(`SELECT COUNT(*) AS "points" FROM (${grouped(counting)}) points`, counting.values);
      const params = new SqlParams(manager.connection);
      const rows: Array<Record<string, unknown>> = await manager.query(
        `${grouped(params)} ORDER BY "bucket", "grantType" LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
        params.values,
      );
      return {
        from: iso(range.from),
        to: iso(range.to),
        granularity: filter.granularity,
        count: toNumber(total?.points),
        list: rows.map((row) => ({
          time: iso(toNumber(row.bucket)),
          grantType: row.grantType as GrantType,
          minted: toNumber(row.minted),
          served: toNumber(row.served),
        })),
      };
    });
  }

  /** WSO2's "Registered Users for Application": distinct users with password-grant (or its refresh) tokens in the range. */
  async registeredUsers(range: TimeRange, page: Page): Promise<ListOf<RegisteredUsersRow>> {
    const rows = await this.read(async (manager) => {
      const active = await this.issuanceByApplication(manager, range, () => undefined);
      const params = new SqlParams(manager.connection);
      const userCounts: Array<Record<string, unknown>> = await manager.query(
        `SELECT "applicationId", COUNT(*) AS "users" FROM (${userPairs(manager, range, params)}) pairs GROUP BY "applicationId"`,
        params.values,
      );
      const applications: Array<Record<string, unknown>> = await manager.query(
        `SELECT "applicationId", "name", "owner", "deletedAt" FROM ${table(manager, TABLES.applications)}`,
      );
      const users = new Map(userCounts.map((row) => [String(row.applicationId), toNumber(row.users)]));
      const known = new Map(applications.map((row) => [String(row.applicationId), row]));
      // Live applications always appear (0 users is an answer); deleted ones only while they have activity in range.
      const ids = new Set<string>([...active, ...users.keys()]);
      for (const row of applications) if (row.deletedAt === null || row.deletedAt === undefined) ids.add(String(row.applicationId));
      return [...ids].map((applicationId) => {
        const application = known.get(applicationId);
        return {
          applicationId,
          applicationName: (application?.name as string | null | undefined) ?? null,
          owner: (application?.owner as string | null | undefined) ?? null,
          registeredUsers: users.get(applicationId) ?? 0,
        };
      });
    });
    rows.sort(
      (a, b) =>
        b.registeredUsers - a.registeredUsers ||
        compareNullable(a.applicationName, b.applicationName) ||
        a.applicationId.localeCompare(b.applicationId),
    );
    return { count: rows.length, list: rows.slice(page.offset, page.offset + page.limit) };
  }

  async applicationUsers(applicationId: string, page: Page): Promise<ListOf<ApplicationUserRow>> {
    return this.read(async (manager) => {
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
    });
  }

  /** The `limit` users with the most tokens of each application (all time), applications by those users' tokens. */
  async topUsers(limit: number): Promise<ListOf<TopUsersRow>> {
    return this.read(async (manager) => {
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
        .sort((a, b) => b.total - a.total || compareNullable(a.applicationName, b.applicationName) || a.applicationId.localeCompare(b.applicationId))
        .map(({ applicationId, applicationName, users }) => ({ applicationId, applicationName, users }));
      return { count: list.length, list };
    });
  }

  /** Walks the rollup rows covering the range (grouped by application and grant) and returns the applications seen. */
  private async issuanceByApplication(
    manager: EntityManager,
    range: TimeRange,
    visit: (row: Record<string, unknown>) => void,
  ): Promise<Set<string>> {
    const applications = new Set<string>();
    for (const span of coverRange(range.from, range.to)) {
      const params = new SqlParams(manager.connection);
      const rows: Array<Record<string, unknown>> = await manager.query(
        `SELECT "applicationId", "grantType", SUM("minted") AS "minted", SUM("served") AS "served" FROM ${table(manager, ISSUANCE_TABLES[span.resolution])} ` +
          `WHERE "bucket" >= ${params.add(span.start)} AND "bucket" < ${params.add(span.end)} GROUP BY "applicationId", "grantType"`,
        params.values,
      );
      for (const row of rows) {
        applications.add(String(row.applicationId));
        visit(row);
      }
    }
    return applications;
  }
}

/**
 * The distinct (application, user) pairs with tokens in the range, as SQL.
 * A pair whose first or last token falls in the range is in it (read from
 * application_users alone); only pairs active both before and after the range
 * need the activity buckets covering it. A year up to now is thus one scan of
 * the pairs, not of a year of activity.
 */
function userPairs(manager: EntityManager, range: TimeRange, params: SqlParams): string {
  const users = table(manager, TABLES.applicationUsers);
  const spans = coverRange(range.from, range.to);
  if (spans.length === 0) return `SELECT "applicationId", "username" FROM ${users} WHERE 1 = 0`;
  const start = spans[0].start;
  const end = spans[spans.length - 1].end;
  // Placeholders are numbered in text order (SQLite's ? is positional), so each piece is built in the order it appears.
  const edges =
    `SELECT u."applicationId", u."username" FROM ${users} u WHERE u."firstSeen" < ${params.add(end)} ` +
    `AND u."lastSeen" >= ${params.add(start)} AND (u."firstSeen" >= ${params.add(start)} OR u."lastSeen" < ${params.add(end)})`;
  const spanningHead =
    `SELECT u."applicationId", u."username" FROM ${users} u ` +
    `WHERE u."firstSeen" < ${params.add(start)} AND u."lastSeen" >= ${params.add(end)}`;
  const activeInRange = spans
    .map(
      (span) =>
        `EXISTS (SELECT 1 FROM ${table(manager, USER_ACTIVITY_TABLES[span.resolution])} a ` +
        `WHERE a."applicationId" = u."applicationId" AND a."username" = u."username" ` +
        `AND a."bucket" >= ${params.add(span.start)} AND a."bucket" < ${params.add(span.end)})`,
    )
    .join(' OR ');
  // The two sets are disjoint (first or last token inside the range, or both outside it).
  return `${edges} UNION ALL ${spanningHead} AND (${activeInRange})`;
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
}
