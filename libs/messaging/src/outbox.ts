import { EntityManager } from 'typeorm';
import { EventMap, EventSubject } from '@keymint/contracts';
import { insertRows, quotedTable, SqlParams, SqlRunner, timeOrderedUuidPrefix } from '@keymint/persistence';
import { REQUEST_ID_HEADER, type RequestContext } from '@keymint/telemetry';
import { EVENT_HEADER_LINES_BYTES, TRACEPARENT_HEADER, TRACESTATE_HEADER } from './context-headers';
import { encodeEvent, MAX_PACK_BYTES, MAX_PACK_HEADER_BYTES, OutboxRow, PACK_OVERHEAD_BYTES, packEvents, withHeaders } from './event-codec';
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

/**
 * PostgreSQL: the tail of a statement that writes into the outbox events the statement itself makes (a
 * data-modifying CTE's rows: the renewal's revocations, token-writer.ts), packed as `packEvents` packs them
 * and with the headers `withHeaders` and `packEvents` give, so that the rows are those `appendToOutbox` would
 * write for the same events. `events` names a query (a CTE) of one subject's events with the columns `sort`
 * (their order; events of equal `sort` in any order), `event_id`, `body` (the event's JSON, as `encodeEvent` writes it),
 * `request_id`, `traceparent` and `tracestate` ('' where the event's origin has none). A pack ends at
 * `eventsPerMessage` events, and where the events before it in the pack pass half of what MAX_PACK_BYTES leaves
 * after PACK_OVERHEAD_BYTES (each event's body in UTF-8 and its headers, as `packEvents` counts them), or their
 * headers alone pass half of MAX_PACK_HEADER_BYTES' room, so a pack's message stays under MAX_PACK_BYTES, and its
 * headers under MAX_PACK_HEADER_BYTES, with any event under half of each. Its own id is made in SQL as `timeOrderedUuid` makes one at `now`.
 */
export function outboxInsertOfEventsSql(manager: SqlRunner, params: SqlParams, events: string, subject: string, eventsPerMessage: number, now: number): string {
  const table = quotedTable(manager.connection, OutboxEntry);
  const header = (name: string, column: string) =>
    `CASE WHEN bool_or(${column} <> '') THEN ${literal(`${JSON.stringify(name)}:[`)} || string_agg(to_json(${column})::text, ',' ORDER BY n) || ']' END`;
  const perMessage = params.add(Math.max(1, eventsPerMessage));
  const halfPack = params.add(Math.floor((MAX_PACK_BYTES - PACK_OVERHEAD_BYTES) / 2));
  const halfHeaders = params.add(Math.floor((MAX_PACK_HEADER_BYTES - PACK_OVERHEAD_BYTES) / 2));
  const headerBytes = `${EVENT_HEADER_LINES_BYTES} + octet_length(request_id) + octet_length(traceparent) + octet_length(tracestate)`;
  const before = (bytes: string) => `coalesce(sum(${bytes}) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)`;
  return (
    `, numbered AS (SELECT *, row_number() OVER (ORDER BY sort) - 1 AS n FROM ${events}), ` +
    `sized AS (SELECT *, ${before(`octet_length(body) + 1 + ${headerBytes}`)} AS before, ${before(headerBytes)} AS headers_before FROM numbered) ` +
    `INSERT INTO ${table} ("eventId", "subject", "body", "headers", "createdAt") ` +
    `SELECT CASE WHEN count(*) = 1 THEN min(event_id) ELSE ${params.add(timeOrderedUuidPrefix(now))} || substr(gen_random_uuid()::text, 16) END, ` +
    `${params.add(subject)}, ` +
    `CASE WHEN count(*) = 1 THEN min(body) ELSE '[' || string_agg(body, ',' ORDER BY n) || ']' END, ` +
    `CASE WHEN bool_or(request_id <> '') OR bool_or(traceparent <> '') THEN '{' || concat_ws(',', ` +
    `${header(REQUEST_ID_HEADER, 'request_id')}, ${header(TRACEPARENT_HEADER, 'traceparent')}, ${header(TRACESTATE_HEADER, 'tracestate')}) || '}' END, ` +
    `${params.add(now)}::bigint ` +
    `FROM sized GROUP BY n / ${perMessage}::bigint, before / ${halfPack}::bigint, headers_before / ${halfHeaders}::bigint ORDER BY min(n)`
  );
}

/** A constant of the code as an SQL string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
