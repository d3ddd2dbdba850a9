import { MigrationInterface, QueryRunner } from 'typeorm';
import { bigintColumnType, createPrefixedTable, dropPrefixedTable, tableName } from '@keymint/persistence';

const ROLLUP_TABLES = ['issuance_minute', 'issuance_hour', 'issuance_day'];
const KEY_BEFORE = ['bucket', 'applicationId', 'keyType', 'grantType'];

/**
 * Issuance rollups count tokens by client-authentication method and by binding too: two more key columns. The
 * counts from before were kept without them: they stay under the method `unknown` (the token service did not
 * say then) and the binding `bearer` (every token was). Each table is rebuilt (SQLite cannot change a primary
 * key in place) and its rows copied in one statement.
 */
export class IssuanceByClientAndBinding1700000000001 implements MigrationInterface {
  name = 'IssuanceByClientAndBinding1700000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const key = columnList(KEY_BEFORE);
    for (const name of ROLLUP_TABLES) {
      await rebuild(queryRunner, name, true, (from, to) =>
        `INSERT INTO "${to}" (${key}, "clientAuthMethod", "tokenBinding", "minted", "served") SELECT ${key}, 'unknown', 'bearer', "minted", "served" FROM "${from}"`,
      );
    }
  }

  /** Back to one row per (bucket, application, key type, grant): its methods and bindings are added together. */
  async down(queryRunner: QueryRunner): Promise<void> {
    const key = columnList(KEY_BEFORE);
    for (const name of ROLLUP_TABLES) {
      await rebuild(queryRunner, name, false, (from, to) =>
        `INSERT INTO "${to}" (${key}, "minted", "served") SELECT ${key}, SUM("minted"), SUM("served") FROM "${from}" GROUP BY ${key}`,
      );
    }
  }
}

/** Creates the rollup table anew beside the old one, copies the rows with `copy`, and puts it in the old one's place. */
async function rebuild(queryRunner: QueryRunner, name: string, byClientAndBinding: boolean, copy: (from: string, to: string) => string): Promise<void> {
  const bigint = bigintColumnType(queryRunner);
  const rebuilt = `${name}_rebuilt`;
  await createPrefixedTable(queryRunner, {
    name: rebuilt,
    columns: [
      { name: 'bucket', type: bigint, isPrimary: true },
      { name: 'applicationId', type: 'varchar', length: '100', isPrimary: true },
      { name: 'keyType', type: 'varchar', length: '20', isPrimary: true },
      { name: 'grantType', type: 'varchar', length: '30', isPrimary: true },
      ...(byClientAndBinding
        ? [
            { name: 'clientAuthMethod', type: 'varchar', length: '30', isPrimary: true },
            { name: 'tokenBinding', type: 'varchar', length: '10', isPrimary: true },
          ]
        : []),
      { name: 'minted', type: 'integer', default: 0 },
      { name: 'served', type: 'integer', default: 0 },
    ],
  });
  const table = tableName(queryRunner.connection, name);
  await queryRunner.query(copy(table, tableName(queryRunner.connection, rebuilt)));
  await dropPrefixedTable(queryRunner, name);
  await queryRunner.renameTable(tableName(queryRunner.connection, rebuilt), table);
}

function columnList(columns: string[]): string {
  return columns.map((column) => `"${column}"`).join(', ');
}
