import { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxHeaders, dropOutboxHeaders } from '@keymint/messaging';

/** The outbox keeps the NATS headers of each message: its events' request ids and trace contexts (libs/messaging). */
export class OutboxHeaders1700000000008 implements MigrationInterface {
  name = 'OutboxHeaders1700000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await addOutboxHeaders(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropOutboxHeaders(queryRunner);
  }
}
