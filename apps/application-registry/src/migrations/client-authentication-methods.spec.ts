import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { openDataSource } from '@keymint/persistence';
import { ApplicationEntity } from '../applications/application.entity';
import { ConsumerSecretEntity } from '../keys/consumer-secret.entity';
import { ScopeEntity } from '../scopes/scope.entity';
import { UserEntity } from '../users/user.entity';
import { Initial1700000000000 } from './1700000000000-initial';
import { SignInFailures1700000000001 } from './1700000000001-sign-in-failures';
import { ConsumerSecrets1700000000002 } from './1700000000002-consumer-secrets';
import { ClientAuthenticationMethods1700000000003 } from './1700000000003-client-authentication-methods';

describe('migration 1700000000003 (client authentication methods)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keymint-registry-migration-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets every existing key keep authenticating with its secret, with no public keys', async () => {
    const entities = [...MESSAGING_ENTITIES, UserEntity, ScopeEntity, ApplicationEntity, ConsumerSecretEntity];
    const before = await openDataSource({ service: 'registry', dataDir: dir, entities, migrations: [Initial1700000000000, SignInFailures1700000000001] });
    await before.query(
      `INSERT INTO registry_oauth_keys ("keyMappingId", "applicationId", "keyType", "consumerKey", "consumerSecretHash", "grantTypes", "scopes", "validityTime", "callbackUrl", "createdAt", "updatedAt")
       VALUES ('map-1', 'app-1', 'PRODUCTION', 'key-1', '${'a'.repeat(64)}', '["client_credentials"]', '[]', 3600, '', 1, 1)`,
    );
    await before.destroy();

    const after = await openDataSource({
      service: 'registry',
      dataDir: dir,
      // Read as rows: the entity of today has columns of later migrations.
      entities,
      migrations: [Initial1700000000000, SignInFailures1700000000001, ConsumerSecrets1700000000002, ClientAuthenticationMethods1700000000003],
    });
    // Read as this migration left the table (the entity knows later columns).
    const [key] = (await after.query(`SELECT "tokenEndpointAuthMethods", "jwks" FROM registry_oauth_keys WHERE "keyMappingId" = 'map-1'`)) as Array<Record<string, unknown>>;
    expect(JSON.parse(key.tokenEndpointAuthMethods as string)).toEqual(['client_secret_basic', 'client_secret_post']);
    expect(key.jwks).toBeNull();
    await after.undoLastMigration({ transaction: 'each' });
    const [row] = (await after.query(`SELECT * FROM registry_oauth_keys`)) as Array<Record<string, unknown>>;
    expect(Object.keys(row)).not.toContain('jwks');
    expect(row.consumerKey).toBe('key-1');
    await after.destroy();
  });
});
