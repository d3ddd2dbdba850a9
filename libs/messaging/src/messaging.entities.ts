import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '@keymint/persistence';

/** An event waiting to be published; written in the same transaction as the change it describes. */
@Entity('outbox')
export class OutboxEntry {
  @PrimaryGeneratedColumn()
  id: number;

  /** The message's `Nats-Msg-Id`: the event's id, or a pack's own id. */
  @Column({ type: 'varchar', length: 36 })
  eventId: string;

  @Column({ type: 'varchar', length: 200 })
  subject: string;

  /** The full message body as JSON: one event (payload + eventId + occurredAt), or a pack of them as an array (packEvents). */
  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  createdAt: number;

  /** The message's NATS headers besides Nats-Msg-Id, as JSON (header → one value per event): request ids and trace contexts (context-headers.ts). */
  @Column({ type: 'text', nullable: true })
  headers: string | null;
}

/** Every event a consumer has applied; a redelivered eventId is acked and skipped. */
@Entity('consumed_events')
export class ConsumedEvent {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  eventId: string;

  @Column({ type: 'varchar', length: 100 })
  consumer: string;

  @Index()
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  consumedAt: number;
}

/** A message that could not be applied (malformed or rejected by the handler), kept for inspection instead of blocking the stream. */
@Entity('parked_events')
export class ParkedEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100 })
  consumer: string;

  @Column({ type: 'varchar', length: 200 })
  subject: string;

  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  parkedAt: number;
}

export const MESSAGING_ENTITIES = [OutboxEntry, ConsumedEvent, ParkedEvent];
