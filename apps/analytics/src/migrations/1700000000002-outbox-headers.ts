import { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxHeaders, dropOutboxHeaders } from '@keymint/messaging';

/** The outbox keeps the NATS headers of each message: its events' request ids and trace contexts (libs/messaging). */
export class OutboxHeaders1700000000002 implements MigrationInterface {
  name = 'OutboxHeaders1700000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await addOutboxHeaders(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropOutboxHeaders(queryRunner);
  }
}
