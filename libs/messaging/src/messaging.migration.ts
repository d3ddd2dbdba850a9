import { QueryRunner } from 'typeorm';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable, tableName } from '@keymint/persistence';

/** Tables of libs/messaging; each service's first migration calls this. */
export async function createMessagingTables(queryRunner: QueryRunner): Promise<void> {
  const bigint = bigintColumnType(queryRunner);
  const serial = { type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
  await createPrefixedTable(queryRunner, {
    name: 'outbox',
    columns: [
      { name: 'id', ...serial },
      { name: 'eventId', type: 'varchar', length: '36' },
      { name: 'subject', type: 'varchar', length: '200' },
      { name: 'body', type: 'text' },
      { name: 'createdAt', type: bigint },
    ],
  });
  await createPrefixedTable(
    queryRunner,
    {
      name: 'consumed_events',
      columns: [
        { name: 'eventId', type: 'varchar', length: '36', isPrimary: true },
        { name: 'consumer', type: 'varchar', length: '100' },
        { name: 'consumedAt', type: bigint },
      ],
    },
    [{ columns: ['consumedAt'] }],
  );
  await createPrefixedTable(queryRunner, {
    name: 'parked_events',
    columns: [
      { name: 'id', ...serial },
      { name: 'consumer', type: 'varchar', length: '100' },
      { name: 'subject', type: 'varchar', length: '200' },
      { name: 'body', type: 'text' },
      { name: 'reason', type: 'text' },
      { name: 'parkedAt', type: bigint },
    ],
  });
}

export async function dropMessagingTables(queryRunner: QueryRunner): Promise<void> {
  for (const name of ['parked_events', 'consumed_events', 'outbox']) await dropPrefixedTable(queryRunner, name);
}

/**
 * The outbox keeps, beside each message, the NATS headers it is published with: the request ids and W3C trace
 * contexts of its events (context-headers.ts). Null for rows written before, which go out without them. Plain
 * ALTER TABLE, on SQLite too: TypeORM's addColumn would copy the whole table there.
 */
export async function addOutboxHeaders(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`ALTER TABLE "${tableName(queryRunner.connection, 'outbox')}" ADD COLUMN "headers" text NULL`);
}

export async function dropOutboxHeaders(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`ALTER TABLE "${tableName(queryRunner.connection, 'outbox')}" DROP COLUMN "headers"`);
}
