import { DataSource } from 'typeorm';

/** The key the registry migration tests write by default. */
export const KEY_ROW_MAPPING_ID = '5b0a3c1e-2d4f-4a6b-8c9d-0e1f2a3b4c5d';

/**
 * Writes an `oauth_keys` row straight into the table (the entity of today has columns an older store lacks):
 * the columns every release had (a PRODUCTION key for client credentials), with `columns` added or replaced.
 */
export async function insertKeyRow(dataSource: DataSource, columns: Record<string, unknown> = {}): Promise<void> {
  await dataSource
    .createQueryBuilder()
    .insert()
    .into('registry_oauth_keys')
    .values({
      keyMappingId: KEY_ROW_MAPPING_ID,
      applicationId: '3f0c6f8e-8a4b-4c1e-9f54-2f7f7a0f2a11',
      keyType: 'PRODUCTION',
      consumerKey: 'Xk3v9QmT2wLp8RzN4bYc6hJd1fGs',
      grantTypes: '["client_credentials"]',
      scopes: '[]',
      validityTime: 3600,
      callbackUrl: '',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      ...columns,
    })
    .execute();
}
