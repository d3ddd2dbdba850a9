import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@keymint/persistence';
import { Initial1700000000000 } from '../migrations/1700000000000-initial';
import { IssuanceByClientAndBinding1700000000001 } from '../migrations/1700000000001-issuance-by-client-and-binding';
import { OutboxHeaders1700000000002 } from '../migrations/1700000000002-outbox-headers';

/** The key every rollup row starts with: one application in one time bucket. */
abstract class ApplicationBucket {
  /** Start of the bucket, epoch milliseconds (UTC). */
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber })
  bucket: number;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  applicationId: string;
}

/**
 * Issuance rollups, one table per resolution. Writes go through `upsertRows`
 * (raw portable SQL); these entities document the schema the migration creates.
 */
abstract class IssuanceRollup extends ApplicationBucket {
  @PrimaryColumn({ type: 'varchar', length: 20 })
  keyType: string;

  @PrimaryColumn({ type: 'varchar', length: 30 })
  grantType: string;

  /** How the client authenticated (`unknown`: events from before the token service said; migration 1700000000001). */
  @PrimaryColumn({ type: 'varchar', length: 30 })
  clientAuthMethod: string;

  /** bearer, dpop or mtls (earlier tokens were all bearer). */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  tokenBinding: string;

  /** New tokens. */
  @Column({ type: 'integer' })
  minted: number;

  /** Every token handed out, reused ones included (served - minted = reused). */
  @Column({ type: 'integer' })
  served: number;
}

@Entity('issuance_minute')
export class IssuanceMinute extends IssuanceRollup {}

@Entity('issuance_hour')
export class IssuanceHour extends IssuanceRollup {}

@Entity('issuance_day')
export class IssuanceDay extends IssuanceRollup {}

/** Applications as the registry announced them; a placeholder (name null) when only issuance was seen so far. */
@Entity('applications')
export class AnalyticsApplication {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  applicationId: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  owner: string | null;

  /** Deleted applications stay, under their last name, so history keeps its labels. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  deletedAt: number | null;

  /** occurredAt of the registry event last applied; older events never overwrite newer ones. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  lastEventAt: number;
}

/** A user of an application (password grant or refresh of one), all time. */
@Entity('application_users')
@Index(['applicationId', 'tokenCount'])
@Index(['lastSeen'])
export class ApplicationUser {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  applicationId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  username: string;

  @Column({ type: 'integer' })
  tokenCount: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  firstSeen: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  lastSeen: number;
}

/**
 * Which users got tokens for which application in which bucket, per
 * resolution: registered users over any range are the distinct pairs of the
 * buckets covering it (whole days, then hours, then minutes at the edges).
 */
@Index(['applicationId', 'username', 'bucket'])
abstract class UserActivity extends ApplicationBucket {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  username: string;

  @Column({ type: 'integer' })
  tokenCount: number;
}

@Entity('user_activity_minute')
export class UserActivityMinute extends UserActivity {}

@Entity('user_activity_hour')
export class UserActivityHour extends UserActivity {}

@Entity('user_activity_day')
export class UserActivityDay extends UserActivity {}

export const ANALYTICS_ENTITIES = [
  IssuanceMinute,
  IssuanceHour,
  IssuanceDay,
  AnalyticsApplication,
  ApplicationUser,
  UserActivityMinute,
  UserActivityHour,
  UserActivityDay,
];

/** The schema's history, oldest first: what opening the store applies. */
export const ANALYTICS_MIGRATIONS = [Initial1700000000000, IssuanceByClientAndBinding1700000000001, OutboxHeaders1700000000002];

/** Table names without the service prefix (the data source adds `analytics_`). */
export const TABLES = {
  applications: 'applications',
  applicationUsers: 'application_users',
} as const;

/** Issuance rollup table per resolution. */
export const ISSUANCE_TABLES = { minute: 'issuance_minute', hour: 'issuance_hour', day: 'issuance_day' } as const;
/** User activity table per resolution. */
export const USER_ACTIVITY_TABLES = { minute: 'user_activity_minute', hour: 'user_activity_hour', day: 'user_activity_day' } as const;
