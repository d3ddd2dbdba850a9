import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, jsonText } from '@keymint/persistence';

@Entity('scopes')
export class ScopeEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'text' })
  description: string;

  /** Roles that may receive the scope in user grants (WSO2 "bindings"). */
  @Column({ type: 'text', transformer: jsonText })
  bindings: string[];

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  updatedAt: number;
}
