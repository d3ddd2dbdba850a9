import { EntityManager } from 'typeorm';
import { ClientAuthMethodCounts, COUNTED_CLIENT_AUTH_METHODS, CountedClientAuthMethod, GrantCounts, GrantType, Summary } from '@keymint/contracts';
import { SqlParams } from '@keymint/persistence';
import { toNumber } from '../storage/sql';
import { iso } from './answer-format';
import { activeApplications, issuanceBy } from './issuance-in-range';
import { TimeRange } from './query-params';
import { userPairs } from './user-pairs';

const zeroCounts = (): GrantCounts => ({ client_credentials: 0, password: 0, refresh_token: 0 });
const zeroMethodCounts = (): ClientAuthMethodCounts =>
  Object.fromEntries(COUNTED_CLIENT_AUTH_METHODS.map((method) => [method, { minted: 0, served: 0 }])) as ClientAuthMethodCounts;

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
  const clientAuthMethods = zeroMethodCounts();
  const byMethod = new SqlParams(manager.connection);
  const methods: Array<Record<string, unknown>> = await manager.query(issuanceBy('clientAuthMethod', manager, range, byMethod), byMethod.values);
  for (const row of methods) {
    const counts = clientAuthMethods[row.clientAuthMethod as CountedClientAuthMethod];
    if (!counts) continue;
    counts.minted += toNumber(row.minted);
    counts.served += toNumber(row.served);
  }
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
    registeredUsers: toNumber(users?.pairs),
    applications: toNumber(applications?.applications),
  };
}
