import { EntityManager } from 'typeorm';
import { COUNTED_CLIENT_AUTH_METHODS, GrantCounts, GrantType, Summary, TOKEN_BINDINGS } from '@keymint/contracts';
import { SqlParams } from '@keymint/persistence';
import { toNumber } from '../storage/sql';
import { iso } from './answer-format';
import { activeApplications, issuanceBy } from './issuance-in-range';
import { TimeRange } from './query-params';
import { userPairs } from './user-pairs';

const zeroCounts = (): GrantCounts => ({ client_credentials: 0, password: 0, refresh_token: 0 });

/** Tokens minted and served per grant, reuse, users and applications in the range. */
export async function summary(manager: EntityManager, range: TimeRange): Promise<Summary> {
  const minted = zeroCounts();
  const served = zeroCounts();
  const byGrant = new SqlParams(manager.connection);
  const grants: Array<Record<string, unknown>> = await manager.query(issuanceBy('grantType', manager, range, byGrant), byGrant.values);
  for (const row of grants) {
    const grantType = row.grantType as GrantType;
    if (!(grantType in minted)) continue;
    minted[grantType] += toNumber(row.minted);
    served[grantType] += toNumber(row.served);
  }
  const clientAuthMethods = await countsBy('clientAuthMethod', COUNTED_CLIENT_AUTH_METHODS, manager, range);
  const tokenBindings = await countsBy('tokenBinding', TOKEN_BINDINGS, manager, range);
  const active = new SqlParams(manager.connection);
  const [applications] = await manager.query(
    `SELECT COUNT(*) AS "applications" FROM (${activeApplications(manager, range, active)}) active`,
    active.values,
  );
  const pairs = new SqlParams(manager.connection);
  const [users] = await manager.query(`SELECT COUNT(*) AS "pairs" FROM (${userPairs(manager, range, pairs)}) pairs`, pairs.values);
  const totalMinted = Object.values(minted).reduce((sum, value) => sum + value, 0);
  const totalServed = Object.values(served).reduce((sum, value) => sum + value, 0);
  return {
    from: iso(range.from),
    to: iso(range.to),
    minted,
    served,
    reused: totalServed - totalMinted,
    clientAuthMethods,
    tokenBindings,
    registeredUsers: toNumber(users?.pairs),
    applications: toNumber(applications?.applications),
  };
}

/** Minted and served tokens in the range for each value of a rollup column (zero for a value without tokens). */
async function countsBy<const V extends string>(
  column: 'clientAuthMethod' | 'tokenBinding',
  values: readonly V[],
  manager: EntityManager,
  range: TimeRange,
): Promise<Record<V, { minted: number; served: number }>> {
  const counts = Object.fromEntries(values.map((value) => [value, { minted: 0, served: 0 }])) as Record<V, { minted: number; served: number }>;
  const params = new SqlParams(manager.connection);
  const rows: Array<Record<string, unknown>> = await manager.query(issuanceBy(column, manager, range, params), params.values);
  for (const row of rows) {
    const count = counts[row[column] as V];
    if (!count) continue;
    count.minted += toNumber(row.minted);
    count.served += toNumber(row.served);
  }
  return counts;
}
