import { EntityManager } from 'typeorm';
import { SqlParams } from '@keymint/persistence';
import { TABLES, USER_ACTIVITY_TABLES } from '../storage/analytics.entities';
import { table } from '../storage/sql';
import { TimeRange } from './query-params';
import { coverRange } from './time-range';

/**
 * The distinct (application, user) pairs with tokens in the range, as SQL.
 * A pair whose first or last token falls in the range is in it (read from
 * application_users alone); only pairs active both before and after the range
 * need the activity buckets covering it. A year up to now is thus one scan of
 * the pairs, not of a year of activity.
 */
export function userPairs(manager: EntityManager, range: TimeRange, params: SqlParams): string {
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
