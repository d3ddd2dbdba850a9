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
    expiresAt: Date.now() + 3_600_000,
    revokedAt: null,
    revokeReason: null,
    reuseKey: null,
    encryptedToken: null,
    ...changes,
  });
}
