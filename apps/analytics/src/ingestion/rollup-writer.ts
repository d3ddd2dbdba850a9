import { ReceivedEvent } from '@keymint/contracts';
import { StatementsHandler } from '@keymint/messaging';
import { allAnswered, Statements } from '@keymint/persistence';
import { ISSUANCE_TABLES, TABLES, USER_ACTIVITY_TABLES } from '../storage/analytics.entities';
import { upsertRows } from '../storage/sql';
import { RESOLUTIONS } from '../time-buckets/time-buckets';
import { aggregate, BatchDeltas } from './aggregate';
import { ApplicationChange, countedOf, Issuance } from './counted-events';

/**
 * The consumers' handler: reduces every event of the batch to what is counted (the consumer has already
 * parked those that fail their schema), aggregates in memory and adds the deltas with one upsert per table.
 * It gives the upserts and returns without waiting for their answers, so that the consumer's pipelined
 * transaction sends its COMMIT with them (the transaction waits for every answer, and fails if one failed).
 */
export const applyEvents: StatementsHandler = {
  async statements(statements, events) {
    for (const upsert of giveDeltas(statements, deltasOf(events))) upsert.catch(() => undefined);
  },
};

function deltasOf(events: ReceivedEvent[]): BatchDeltas {
  const issuances: Issuance[] = [];
  const changes: ApplicationChange[] = [];
  for (const received of events) {
    const counted = countedOf(received);
    if (counted.kind === 'issuance') issuances.push(counted.issuance);
    else if (counted.kind === 'application') changes.push(counted.change);
  }
  return aggregate(issuances, changes);
}

/**
 * The upserts go out together (`Statements`): none needs another's answer, so on PostgreSQL they cost one
 * round trip instead of one each, as prepared statements; a connection runs them in the order given.
 */
export async function writeDeltas(manager: Statements, deltas: BatchDeltas): Promise<void> {
  await allAnswered(giveDeltas(manager, deltas));
}

/** Gives the upserts of `writeDeltas` (each statement is given when this returns) and returns their answers. */
function giveDeltas(manager: Statements, deltas: BatchDeltas): Array<Promise<void>> {
  const upserts: Array<Promise<void>> = [];
  for (const resolution of RESOLUTIONS) {
    upserts.push(upsertRows(
      manager,
      ISSUANCE_TABLES[resolution],
      ['bucket', 'applicationId', 'keyType', 'grantType', 'clientAuthMethod', 'tokenBinding', 'minted', 'served'],
      ['bucket', 'applicationId', 'keyType', 'grantType', 'clientAuthMethod', 'tokenBinding'],
      deltas.rollups[resolution],
      (existing) => `DO UPDATE SET "minted" = ${existing}."minted" + excluded."minted", "served" = ${existing}."served" + excluded."served"`,
    ));
  }
  upserts.push(upsertRows(
    manager,
    TABLES.applicationUsers,
    ['applicationId', 'username', 'tokenCount', 'firstSeen', 'lastSeen'],
    ['applicationId', 'username'],
    deltas.users,
    (existing) =>
      `DO UPDATE SET "tokenCount" = ${existing}."tokenCount" + excluded."tokenCount", ` +
      `"firstSeen" = CASE WHEN excluded."firstSeen" < ${existing}."firstSeen" THEN excluded."firstSeen" ELSE ${existing}."firstSeen" END, ` +
      `"lastSeen" = CASE WHEN excluded."lastSeen" > ${existing}."lastSeen" THEN excluded."lastSeen" ELSE ${existing}."lastSeen" END`,
  ));
  for (const resolution of RESOLUTIONS) {
    upserts.push(upsertRows(
      manager,
      USER_ACTIVITY_TABLES[resolution],
      ['bucket', 'applicationId', 'username', 'tokenCount'],
      ['bucket', 'applicationId', 'username'],
      deltas.userActivity[resolution],
      (existing) => `DO UPDATE SET "tokenCount" = ${existing}."tokenCount" + excluded."tokenCount"`,
    ));
  }
  // Issuance for an application the registry has not announced yet still counts; its name shows once known.
  upserts.push(upsertRows(
    manager,
    TABLES.applications,
    ['applicationId', 'name', 'owner', 'deletedAt', 'lastEventAt'],
    ['applicationId'],
    deltas.applicationsSeen.map((applicationId) => ({ applicationId, name: null, owner: null, deletedAt: null, lastEventAt: 0 })),
    () => 'DO NOTHING',
  ));
  upserts.push(upsertRows(
    manager,
    TABLES.applications,
    ['applicationId', 'name', 'owner', 'deletedAt', 'lastEventAt'],
    ['applicationId'],
    deltas.applicationChanges.map((change) => ({
      applicationId: change.applicationId,
      name: change.name ?? null,
      owner: change.owner ?? null,
      deletedAt: change.deleted ? change.occurredAt : null,
      lastEventAt: change.occurredAt,
    })),
    (existing) =>
      `DO UPDATE SET "name" = COALESCE(excluded."name", ${existing}."name"), "owner" = COALESCE(excluded."owner", ${existing}."owner"), ` +
      `"deletedAt" = excluded."deletedAt", "lastEventAt" = excluded."lastEventAt" WHERE excluded."lastEventAt" >= ${existing}."lastEventAt"`,
  ));
  return upserts;
}
