import { EntityManager } from 'typeorm';
import { EventMap, EventSubject } from '@keymint/contracts';
import { insertRows, SqlRunner } from '@keymint/persistence';
import type { RequestContext } from '@keymint/telemetry';
import { encodeEvent, OutboxRow, packEvents, withHeaders } from './event-codec';
import { OutboxEntry } from './messaging.entities';

/**
 * Records an event in the same transaction as the state change it describes;
 * the relay publishes it after the commit. Publishing a payload that does not
 * match its subject does not compile, and one that fails its schema throws
 * (rolling the change back with it). `origin`: the request it is written for (encodeEvent). Returns the row written.
 */
export async function publishInTransaction<S extends EventSubject>(
  manager: EntityManager,
  subject: S,
  payload: EventMap[S],
  origin: RequestContext | undefined,
): Promise<OutboxRow> {
  const row = withHeaders(encodeEvent(subject, payload, origin));
  await manager.insert(OutboxEntry, row);
  return row;
}

/**
 * Records many encoded events (`encodeEvent`) in the caller's transaction with
 * one multi-row insert, packed `eventsPerMessage` to a message
 * (EVENTS_PER_MESSAGE, `packEvents`). Rows are written in the order given.
 */
export async function appendToOutbox(manager: SqlRunner, rows: OutboxRow[], eventsPerMessage = 1): Promise<void> {
  await insertRows(manager, OutboxEntry, packEvents(rows, eventsPerMessage));
}
