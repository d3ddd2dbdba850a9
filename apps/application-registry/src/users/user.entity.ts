import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, jsonText } from '@keymint/persistence';
import type { Role } from './roles';

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId: string;

  /** Lower-case canonical form (usernames are case-insensitive); unique. */
  @Column({ type: 'varchar', length: 64 })
  username: string;

  @Column({ type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'text', transformer: jsonText })
  roles: Role[];

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  createdAt: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  updatedAt: number;
}
