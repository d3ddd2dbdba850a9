import { EntityManager } from 'typeorm';
import { CountedClientAuthMethod, GrantType, IssuanceSeries, KeyType, TokenBinding } from '@keymint/contracts';
import { SqlParams } from '@keymint/persistence';
import { ISSUANCE_TABLES } from '../storage/analytics.entities';
import { table, toNumber } from '../storage/sql';
import { floorTo, Resolution, RESOLUTION_MS } from '../time-buckets/time-buckets';
import { iso } from './answer-format';
import { Page, TimeRange } from './query-params';

export interface IssuanceFilter {
  granularity: Resolution;
  applicationId?: string;
  grantType?: GrantType;
  keyType?: KeyType;
  clientAuthMethod?: CountedClientAuthMethod;
  tokenBinding?: TokenBinding;
}

/** Minted and served tokens per bucket of the granularity and grant type, read from that granularity's rollup. */
export async function tokenIssuance(manager: EntityManager, range: TimeRange, filter: IssuanceFilter, page: Page): Promise<IssuanceSeries> {
  const size = RESOLUTION_MS[filter.granularity];
  const start = floorTo(range.from, size);
  const end = Math.max(start, Math.ceil(range.to / size) * size);
  // Each query numbers its own placeholders (PostgreSQL's $n), so the grouped query is built per query.
  const grouped = (params: SqlParams) => {
    const conditions = [`"bucket" >= ${params.add(start)}`, `"bucket" < ${params.add(end)}`];
    if (filter.applicationId !== undefined) conditions.push(`"applicationId" = ${params.add(filter.applicationId)}`);
    if (filter.grantType !== undefined) conditions.push(`"grantType" = ${params.add(filter.grantType)}`);
    if (filter.keyType !== undefined) conditions.push(`"keyType" = ${params.add(filter.keyType)}`);
    if (filter.clientAuthMethod !== undefined) conditions.push(`"clientAuthMethod" = ${params.add(filter.clientAuthMethod)}`);
    if (filter.tokenBinding !== undefined) conditions.push(`"tokenBinding" = ${params.add(filter.tokenBinding)}`);
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
}
