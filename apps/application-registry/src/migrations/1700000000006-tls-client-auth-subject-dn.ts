import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { tableName } from '@keymint/persistence';

/**
 * The subject DN a key's tls_client_auth certificates carry (RFC 8705 §2.1.2 `tls_client_auth_subject_dn`):
 * every existing key has none, and keeps authenticating as before.
 */
export class TlsClientAuthSubjectDn1700000000006 implements MigrationInterface {
  name = 'TlsClientAuthSubjectDn1700000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(tableName(queryRunner.connection, 'oauth_keys'), new TableColumn({ name: 'tlsClientAuthSubjectDn', type: 'text', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(tableName(queryRunner.connection, 'oauth_keys'), 'tlsClientAuthSubjectDn');
  }
}
