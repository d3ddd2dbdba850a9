import { EntityManager } from 'typeorm';
import { SqlParams } from '@keymint/persistence';
import { ISSUANCE_TABLES } from '../storage/analytics.entities';
import { table } from '../storage/sql';
import { TimeRange } from './query-params';
import { coverRange } from './time-range';

/** The distinct applications with issuance in the range, as SQL (one `applicationId` column). */
export function activeApplications(manager: EntityManager, range: TimeRange, params: SqlParams): string {
  // DISTINCT too: a range of one span is one SELECT, without a UNION to remove the duplicates.
  return selectsOverSpans(manager, range, params, 'DISTINCT "applicationId"').join(' UNION ');
}

/** Minted and served tokens in the range per value of one rollup column, as SQL (that column, `minted`, `served`). */
export function issuanceBy(column: 'grantType' | 'clientAuthMethod' | 'tokenBinding', manager: EntityManager, range: TimeRange, params: SqlParams): string {
  const rows = selectsOverSpans(manager, range, params, `"${column}", "minted", "served"`).join(' UNION ALL ');
  return `SELECT "${column}", SUM("minted") AS "minted", SUM("served") AS "served" FROM (${rows}) spans GROUP BY "${column}"`;
}

/**
 * One SELECT of `columns` per rollup span covering the range (whole days from
 * the daily table, the edges from finer ones), so a year is a few hundred
 * rows, not a year of minutes. An empty range gets one SELECT that finds nothing.
 */
function selectsOverSpans(manager: EntityManager, range: TimeRange, params: SqlParams, columns: string): string[] {
  const spans = coverRange(range.from, range.to);
  if (spans.length === 0) return [`SELECT ${columns} FROM ${table(manager, ISSUANCE_TABLES.minute)} WHERE 1 = 0`];
  // Placeholders are numbered in text order (SQLite's ? is positional), so the spans are built in the order they appear.
  return spans.map(
    (span) =>
      `SELECT ${columns} FROM ${table(manager, ISSUANCE_TABLES[span.resolution])} ` +
      `WHERE "bucket" >= ${params.add(span.start)} AND "bucket" < ${params.add(span.end)}`,
  );
}
