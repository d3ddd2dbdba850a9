import { EntityManager } from 'typeorm';
import { insertValues, quotedTable } from '@keymint/persistence';
import { TokenRecord } from '../src/token-storage/token.entity';

/** A stored token row for tests: a live client_credentials access token of key-a (app-a) for an hour, with `changes` applied. */
export function tokenRecord(changes: Partial<TokenRecord> & Pick<TokenRecord, 'id'>): TokenRecord {
  return Object.assign(new TokenRecord(), {
    tokenHash: '0'.repeat(64),
    kind: 'access',
    consumerKey: 'key-a',
    applicationId: 'app-a',
    keyType: 'PRODUCTION',
    username: null,
    scopes: 'default',
    grantType: 'client_credentials',
    tokenType: 'OAUTH',
    familyId: null,
    issuedAt: Date.now(),
    familyIssuedAt: null,
    familyRoles: null,
    expiresAt: Date.now() + 3_600_000,
    revokedAt: null,
    revokeReason: null,
    reuseKey: null,
    encryptedToken: null,
    ...changes,
  });
}

/** The columns of token rows before migration 1700000000005 added the refresh family's start and roles. */
const COLUMNS_BEFORE_FAMILY_LIMITS = [
  'id',
  'tokenHash',
  'kind',
  'consumerKey',
  'applicationId',
  'keyType',
  'username',
  'scopes',
  'grantType',
  'tokenType',
  'familyId',
  'issuedAt',
  'expiresAt',
  'revokedAt',
  'revokeReason',
  'reuseKey',
  'encryptedToken',
] as const;

/** Writes rows as a release before migration 1700000000005 did, into a store migrated no further. */
export async function insertRowsOfOlderRelease(manager: EntityManager, rows: TokenRecord[]): Promise<void> {
  await insertValues(
    manager,
    quotedTable(manager.connection, TokenRecord),
    COLUMNS_BEFORE_FAMILY_LIMITS.map((column) => `"${column}"`),
    rows.map((row) => COLUMNS_BEFORE_FAMILY_LIMITS.map((column) => row[column])),
  );
}
