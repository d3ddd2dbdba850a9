import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TokenFormat } from '@keymint/contracts';
import { bigintAsNumber, jsonText } from '@keymint/persistence';

export const THROTTLING_POLICIES = ['Unlimited', '50PerMin', '20PerMin', '10PerMin'] as const;
export type ThrottlingPolicy = (typeof THROTTLING_POLICIES)[number];
export const TOKEN_TYPES = ['JWT', 'OAUTH'] as const satisfies readonly TokenFormat[];

@Entity('applications')
export class ApplicationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  applicationId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** Lower-case name: unique per owner, so "My App" and "my app" cannot both exist. */
  @Column({ type: 'varchar', length: 100 })
  nameKey: string;

  /** Canonical username of the owner. */
  @Column({ type: 'varchar', length: 64 })
  owner: string;

  @Column({ type: 'varchar', length: 20 })
  throttlingPolicy: ThrottlingPolicy;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'varchar', length: 10 })
  tokenType: TokenFormat;

  @Column({ type: 'text', transformer: jsonText })
  attributes: Record<string, string>;

  @Column({ type: 'varchar', length: 20 })
  status: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  createdAt: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  updatedAt: number;
}
