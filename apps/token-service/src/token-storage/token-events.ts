import { TokenEndpointAuthMethod, TokenRevocationReason } from '@keymint/contracts';
import { encodeEvent, isoTimeOf, OutboxRow } from '@keymint/messaging';
import type { RequestContext } from '@keymint/telemetry';
import { SqlParams } from '@keymint/persistence';
import { confirmationOf, TokenRecord } from './token.entity';

/**
 * The token service's events, all built here from the stored rows they
 * describe: what a consumer reads is what the store holds. `origin`: the request each is written for (its id and
 * trace travel with the event, encodeEvent); none for what the service does on its own.
 */

/**
 * tokens.issued.v1 for an access token, newly minted or handed out again (`reused`, WSO2 token reuse), with how
 * the client authenticated for it (a reused token's event names the method of the request it was handed to).
 */
export function issuedEvent(access: TokenRecord, reused: boolean, clientAuthMethod: TokenEndpointAuthMethod, origin: RequestContext | undefined): OutboxRow {
  return encodeEvent('tokens.issued.v1', {
    tokenId: access.id,
    applicationId: access.applicationId,
    consumerKey: access.consumerKey,
    keyType: access.keyType,
    grantType: access.grantType,
    ...(access.username !== null ? { username: access.username } : {}),
    scopes: access.scopes.split(' '),
    tokenType: access.tokenType,
    issuedAt: isoTimeOf(access.issuedAt),
    expiresAt: new Date(access.expiresAt).toISOString(),
    reused,
    clientAuthMethod,
    // Only for a bound token (every token before binding existed was a bearer one, without cnf).
    cnf: confirmationOf(access).cnf,
  }, origin);
}

/** One tokens.revoked.v1 per access token among the rows (refresh tokens have no events). */
export function revokedEvents(
  rows: Array<Pick<TokenRecord, 'id' | 'kind' | 'applicationId' | 'consumerKey'>>,
  reason: TokenRevocationReason,
  origin: RequestContext | undefined,
): OutboxRow[] {
  return rows
    .filter((row) => row.kind === 'access')
    .map((row) => encodeEvent('tokens.revoked.v1', { tokenId: row.id, applicationId: row.applicationId, consumerKey: row.consumerKey, reason }, origin));
}

/**
 * PostgreSQL: the tokens.revoked.v1 body `revokedEvents` makes (`encodeEvent`: the payload's fields in this
 * order, then eventId and occurredAt; strings as JSON.stringify writes them, which is what to_json writes for
 * text), as an SQL expression over the columns "id", "applicationId" and "consumerKey" of a revoked token and
 * `event_id`, the event's id. The values are a token's whose tokens.issued.v1 passed the event schema (the
 * same fields); the statement text is one for every call.
 */
export function revokedEventBodySql(params: SqlParams, reason: TokenRevocationReason, occurredAt: string): string {
  const json = (column: string) => `to_json(${column})::text`;
  const afterPayload = params.add(`,"reason":${JSON.stringify(reason)},"eventId":"`);
  const afterEventId = params.add(`","occurredAt":${JSON.stringify(occurredAt)}}`);
  return `'{"tokenId":' || ${json('"id"')} || ',"applicationId":' || ${json('"applicationId"')} || ',"consumerKey":' || ${json('"consumerKey"')} || ${afterPayload}::text || event_id || ${afterEventId}::text`;
}

/** One tokens.revoked.v1 with `tokenId: null` for every token of a consumer key at once. */
export function keyRevokedEvent(consumerKey: string, applicationId: string, reason: TokenRevocationReason, origin: RequestContext | undefined): OutboxRow {
  return encodeEvent('tokens.revoked.v1', { tokenId: null, applicationId, consumerKey, reason }, origin);
}
