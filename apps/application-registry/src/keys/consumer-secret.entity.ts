import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@keymint/persistence';

/**
 * One consumer secret of a key (several during a rotation, at most MAX_SECRETS_PER_KEY). A revoked
 * secret's row is deleted: only unrevoked ones, expired among them, are kept and listed.
 */
@Entity('oauth_key_secrets')
export class ConsumerSecretEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  secretId: string;

  @Column({ type: 'varchar', length: 36 })
  keyMappingId: string;

  /** Hex SHA-256 of the secret; the secret itself is shown once and never stored. */
  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  createdAt: number;

  /** Epoch ms after which the secret no longer authenticates; null: never. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  expiresAt: number | null;

  /** When it last authenticated, reported in batches by the token service (~1 minute late at most, best effort); null: not seen. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  lastUsedAt: number | null;
}
