import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { GrantType, KeyType, TokenConfirmation, TokenFormat, TokenRevocationReason } from '@keymint/contracts';
import { bigintAsNumber } from '@keymint/persistence';

export type TokenKind = 'access' | 'refresh';

/**
 * One issued access or refresh token. Only its SHA-256 is stored; a reusable
 * opaque token (WSO2 reuse) also keeps an AES-256-GCM ciphertext.
 */
@Entity('tokens')
export class TokenRecord {
  /** Also the JWT `jti` and the `tokenId` of events. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** SHA-256 (hex) of the token, compared once the row is found by the id the token carries (token-hash.ts). */
  @Column({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 10 })
  kind: TokenKind;

  /** Indexed while the token is not revoked (migration 1700000000003), like applicationId and familyId. */
  @Index({ where: '"revokedAt" IS NULL' })
  @Column({ type: 'varchar', length: 200 })
  consumerKey: string;

  @Index({ where: '"revokedAt" IS NULL' })
  @Column({ type: 'varchar', length: 100 })
  applicationId: string;

  @Column({ type: 'varchar', length: 20 })
  keyType: KeyType;

  /** The user of a user grant (canonical, as the registry names it). Indexed while the token is live (migration 1700000000005): a password change, a role taken away or a deletion revokes the user's tokens. */
  @Index({ where: '"username" IS NOT NULL AND "revokedAt" IS NULL' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  username: string | null;

  /** Space-joined, sorted. */
  @Column({ type: 'text' })
  scopes: string;

  @Column({ type: 'varchar', length: 30 })
  grantType: GrantType;

  @Column({ type: 'varchar', length: 10 })
  tokenType: TokenFormat;

  /** Refresh rotation family: every access and refresh token descending from one password grant. */
  @Index({ where: '"familyId" IS NOT NULL AND "revokedAt" IS NULL' })
  @Column({ type: 'varchar', length: 36, nullable: true })
  familyId: string | null;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  issuedAt: number;

  /**
   * A refresh token's: when its family's password grant was issued. REFRESH_TOKEN_MAX_LIFETIME counts from
   * it, whatever the rotations since. Null on access tokens.
   */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  familyIssuedAt: number | null;

  /**
   * A refresh token's: its user's roles at the family's password grant (space-joined), against which a
   * refresh checks the key's current scope bindings. Never more than the user holds now: taking a role away
   * revokes the family. Null on access tokens, and on refresh tokens from before migration 1700000000005.
   */
  @Column({ type: 'text', nullable: true })
  familyRoles: string | null;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  expiresAt: number;

  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  revokedAt: number | null;

  @Column({ type: 'varchar', length: 30, nullable: true })
  revokeReason: TokenRevocationReason | 'rotated' | null;

  /** consumerKey + granted scopes of a reusable client_credentials token (indexed while it is not revoked; cleared when the reuse slot moves on). */
  @Index({ where: '"revokedAt" IS NULL AND "reuseKey" IS NOT NULL' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  reuseKey: string | null;

  /** AES-256-GCM of a reusable token (iv.tag.ciphertext, base64url). */
  @Column({ type: 'text', nullable: true })
  encryptedToken: string | null;

  /** The resources (RFC 8707) the token was granted for, space-joined; null: its audience is the consumer key (migration 1700000000007). */
  @Column({ type: 'text', nullable: true })
  audience: string | null;

  /** The DPoP key's JWK SHA-256 thumbprint (RFC 9449 `cnf.jkt`) the token is bound to; null: not DPoP-bound. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  cnfJkt: string | null;

  /** The client certificate's SHA-256 thumbprint (RFC 8705 `cnf["x5t#S256"]`) the token is bound to; null: not certificate-bound. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  cnfX5t: string | null;
}

/** A token's `aud`: its resources, or else its consumer key (one audience is a string, as in a JWT). */
export function audienceOf(row: Pick<TokenRecord, 'audience' | 'consumerKey'>): string | string[] {
  if (row.audience === null) return row.consumerKey;
  const resources = row.audience.split(' ');
  return resources.length === 1 ? resources[0] : resources;
}

/** The `token_type` a token is answered and introspected with: `DPoP` when it is bound to a DPoP key (RFC 9449 §5), else `Bearer` (a certificate-bound token too, RFC 8705 §3). */
export function tokenTypeOf(row: Pick<TokenRecord, 'cnfJkt'>): 'Bearer' | 'DPoP' {
  return row.cnfJkt === null ? 'Bearer' : 'DPoP';
}

/** A token's `cnf` (RFC 7800) as a member to spread into a claim set or answer: `{cnf}`, or `{}` for a bearer token. */
export function confirmationOf(row: Pick<TokenRecord, 'cnfJkt' | 'cnfX5t'>): { cnf?: TokenConfirmation } {
  if (row.cnfJkt === null && row.cnfX5t === null) return {};
  return { cnf: { ...(row.cnfJkt !== null ? { jkt: row.cnfJkt } : {}), ...(row.cnfX5t !== null ? { 'x5t#S256': row.cnfX5t } : {}) } };
}

/**
 * The hash of an opaque token issued before tokens carried their row id
 * (migration 1700000000002), and that row's id: the only way such a token is
 * found. Filled once by that migration, never written since.
 */
@Entity('legacy_token_hashes')
export class LegacyTokenHash {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 36 })
  tokenId: string;
}
