import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The reuse key of a consumer key's token for a scope set (the slot's key, and a token row's `reuseKey`): the
 * consumer key first, so that all of a key's reuse keys share a prefix.
 */
export function reuseKeyOf(consumerKey: string, scopes: readonly string[]): string {
  return `${consumerKey}\n${scopes.join(' ')}`;
}

/**
 * The one reusable token of a (consumer key, scope set), shared by every
 * replica: claiming the slot in the database is what keeps a burst spread
 * over several replicas down to one active token (docs/token-api.md, "Token reuse").
 */
@Entity('reuse_slots')
export class ReuseSlot {
  @PrimaryColumn({ type: 'varchar', length: 500 })
  reuseKey: string;

  @Column({ type: 'varchar', length: 36 })
  tokenId: string;

  /** The key's secrets when the token was issued (secretsFingerprint): a regenerated secret ends reuse at once. */
  @Column({ type: 'varchar', length: 64 })
  secretHash: string;
}
