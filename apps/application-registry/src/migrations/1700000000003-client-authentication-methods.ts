import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS } from '@keymint/contracts';
import { tableName } from '@keymint/persistence';

/**
 * How each key may authenticate (`tokenEndpointAuthMethods`) and its public keys for private_key_jwt
 * (`jwks`): every existing key keeps authenticating with its secret, as before, and has no public keys.
 */
export class ClientAuthenticationMethods1700000000003 implements MigrationInterface {
  name = 'ClientAuthenticationMethods1700000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'oauth_keys');
    await queryRunner.addColumns(table, [
      new TableColumn({
        name: 'tokenEndpointAuthMethods',
        type: 'text',
        isNullable: false,
        default: `'${JSON.stringify(DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS)}'`,
      }),
      new TableColumn({ name: 'jwks', type: 'text', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = tableName(queryRunner.connection, 'oauth_keys');
    await queryRunner.dropColumn(table, 'jwks');
    await queryRunner.dropColumn(table, 'tokenEndpointAuthMethods');
  }
}
