import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  ClientRecord,
  DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS,
  hashConsumerSecret,
  IssueTokenResponse,
  isUuid,
  matchingSecret,
  MAX_SECRETS_PER_KEY,
  RPC_SUBJECTS,
  RpcErrorCode,
} from '@keymint/contracts';
import type { Principal } from '@keymint/http-kit';
import { publishInTransaction, RpcClient, RpcError } from '@keymint/messaging';
import { Database } from '@keymint/persistence';
import { logFieldsOf, RequestContext } from '@keymint/telemetry';
import { ApplicationEntity } from '../applications/application.entity';
import { ApplicationsService } from '../applications/applications.service';
import { isUniqueViolation, RegistryError } from '../common/http-errors';
import { ScopesService } from '../scopes/scopes.service';
import { UserEntity } from '../users/user.entity';
import { newConsumerKey, newConsumerSecret } from './client-credentials';
import { ConsumerSecretEntity } from './consumer-secret.entity';
import { GenerateKeysInput, GenerateSecretInput, GenerateTokenInput, UpdateKeyInput } from './dto/key-input';
import { keyRefEvent, keysEvent, keySecretEvent } from './key-events';
import {
  applicationKeyView,
  ApplicationKeyView,
  consumerSecretInfoView,
  ConsumerSecretInfoView,
  GeneratedConsumerSecretView,
  GeneratedKeyView,
  isActiveSecret,
  jwksOf,
} from './key-view';
import { OAuthKeyEntity } from './oauth-key.entity';

@Injectable()
export class KeysService {
  private readonly logger = new Logger('KeysService');

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(ApplicationsService) private readonly applications: ApplicationsService,
    @Inject(ScopesService) private readonly scopes: ScopesService,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {}

  async generate(principal: Principal, applicationId: string, input: GenerateKeysInput, origin?: RequestContext): Promise<GeneratedKeyView> {
    const application = await this.applications.findVisible(principal, applicationId);
    const consumerSecret = newConsumerSecret();
    const now = Date.now();
    const key: OAuthKeyEntity = {
      keyMappingId: randomUUID(),
      applicationId: application.applicationId,
      keyType: input.keyType,
      consumerKey: newConsumerKey(),
      grantTypes: input.grantTypes,
      scopes: input.scopes,
      validityTime: input.validityTime,
      callbackUrl: input.callbackUrl,
      tokenEndpointAuthMethods: input.tokenEndpointAuthMethods ?? DEFAULT_TOKEN_ENDPOINT_AUTH_METHODS,
      jwks: input.jwks ? JSON.stringify(input.jwks) : null,
      resources: input.resources,
      tlsClientAuthSubjectDn: input.tlsClientAuthSubjectDn ?? null,
      requireDpop: input.requireDpop,
      createdAt: now,
      updatedAt: now,
    };
    assertCredentialsOfMethods(key);
    try {
      await this.database.transaction(async (manager) => {
        await this.assertScopesAllowed(manager, application.owner, input.scopes);
        if (!(await manager.existsBy(ApplicationEntity, { applicationId: application.applicationId }))) {
          throw RegistryError.notFound(`Application ${applicationId} was not found.`);
        }
        if (await manager.existsBy(OAuthKeyEntity, { applicationId: application.applicationId, keyType: input.keyType })) {
          throw duplicateKeyType(input.keyType);
        }
        await manager.insert(OAuthKeyEntity, key);
        await manager.insert(ConsumerSecretEntity, newSecretRow(key.keyMappingId, consumerSecret, now, { description: '' }));
        await publishInTransaction(manager, 'registry.keys.generated.v1', keysEvent(key), origin);
      });
    } catch (error) {
      throw isUniqueViolation(error) ? duplicateKeyType(input.keyType) : error;
    }
    return { ...applicationKeyView(key), consumerSecret };
  }

  async list(principal: Principal, applicationId: string): Promise<{ count: number; list: ApplicationKeyView[] }> {
    const application = await this.applications.findVisible(principal, applicationId);
    const keys = await this.database.consistentRead((manager) =>
      manager.find(OAuthKeyEntity, { where: { applicationId: application.applicationId }, order: { keyType: 'ASC' } }),
    );
    return { count: keys.length, list: keys.map(applicationKeyView) };
  }

  async get(principal: Principal, applicationId: string, keyMappingId: string): Promise<ApplicationKeyView> {
    return applicationKeyView(await this.findKey(principal, applicationId, keyMappingId));
  }

  async update(principal: Principal, applicationId: string, keyMappingId: string, input: UpdateKeyInput, origin?: RequestContext): Promise<ApplicationKeyView> {
    const { application, key: found } = await this.findApplicationKey(principal, applicationId, keyMappingId);
    const updated = await this.database.transaction(async (manager) => {
      const current = await manager.findOneBy(OAuthKeyEntity, { keyMappingId: found.keyMappingId });
      if (!current) throw keyNotFound(keyMappingId);
      if (input.scopes) await this.assertScopesAllowed(manager, application.owner, input.scopes);
      const changed: OAuthKeyEntity = {
        ...current,
        grantTypes: input.grantTypes ?? current.grantTypes,
        scopes: input.scopes ?? current.scopes,
        validityTime: input.validityTime ?? current.validityTime,
        callbackUrl: input.callbackUrl ?? current.callbackUrl,
        tokenEndpointAuthMethods: input.tokenEndpointAuthMethods ?? current.tokenEndpointAuthMethods,
        jwks: input.jwks === undefined ? current.jwks : input.jwks && JSON.stringify(input.jwks),
        resources: input.resources ?? current.resources,
        tlsClientAuthSubjectDn: input.tlsClientAuthSubjectDn === undefined ? current.tlsClientAuthSubjectDn : input.tlsClientAuthSubjectDn,
        requireDpop: input.requireDpop ?? current.requireDpop,
        updatedAt: Date.now(),
      };
      assertCredentialsOfMethods(changed);
      await manager.update(
        OAuthKeyEntity,
        { keyMappingId: current.keyMappingId },
        {
          grantTypes: changed.grantTypes,
          scopes: changed.scopes,
          validityTime: changed.validityTime,
          callbackUrl: changed.callbackUrl,
          tokenEndpointAuthMethods: changed.tokenEndpointAuthMethods,
          jwks: changed.jwks,
          resources: changed.resources,
          tlsClientAuthSubjectDn: changed.tlsClientAuthSubjectDn,
          requireDpop: changed.requireDpop,
          updatedAt: changed.updatedAt,
        },
      );
      await publishInTransaction(manager, 'registry.keys.updated.v1', keysEvent(changed), origin);
      return changed;
    });
    return applicationKeyView(updated);
  }

  /** WSO2's meaning: one new secret, every other one gone at once; the token service revokes the key's tokens on the event. */
  async regenerateSecret(principal: Principal, applicationId: string, keyMappingId: string, origin?: RequestContext): Promise<{ consumerKey: string; consumerSecret: string }> {
    const found = await this.findKey(principal, applicationId, keyMappingId);
    const consumerSecret = newConsumerSecret();
    await this.database.transaction(async (manager) => {
      const current = await manager.findOneBy(OAuthKeyEntity, { keyMappingId: found.keyMappingId });
      if (!current) throw keyNotFound(keyMappingId);
      const now = Date.now();
      await manager.delete(ConsumerSecretEntity, { keyMappingId: current.keyMappingId });
      await manager.insert(ConsumerSecretEntity, newSecretRow(current.keyMappingId, consumerSecret, now, { description: '' }));
      await manager.update(OAuthKeyEntity, { keyMappingId: current.keyMappingId }, { updatedAt: now });
      await publishInTransaction(manager, 'registry.keys.secret-regenerated.v1', keyRefEvent(current), origin);
    });
    return { consumerKey: found.consumerKey, consumerSecret };
  }

  async remove(principal: Principal, applicationId: string, keyMappingId: string, origin?: RequestContext): Promise<void> {
    const found = await this.findKey(principal, applicationId, keyMappingId);
    await this.database.transaction(async (manager) => {
      const current = await manager.findOneBy(OAuthKeyEntity, { keyMappingId: found.keyMappingId });
      if (!current) throw keyNotFound(keyMappingId);
      await manager.delete(ConsumerSecretEntity, { keyMappingId: current.keyMappingId });
      await manager.delete(OAuthKeyEntity, { keyMappingId: current.keyMappingId });
      await publishInTransaction(manager, 'registry.keys.revoked.v1', keyRefEvent(current), origin);
    });
  }

  /**
   * Another secret for the key (rotation without downtime): the others keep working. At most
   * MAX_SECRETS_PER_KEY unrevoked ones, expired ones counted until they are revoked.
   */
  async generateSecret(principal: Principal, applicationId: string, keyMappingId: string, input: GenerateSecretInput, origin?: RequestContext): Promise<GeneratedConsumerSecretView> {
    const found = await this.findKey(principal, applicationId, keyMappingId);
    const consumerSecret = newConsumerSecret();
    const now = Date.now();
    const row = newSecretRow(found.keyMappingId, consumerSecret, now, input);
    await this.database.transaction(async (manager) => {
      const current = await lockKey(manager, found.keyMappingId);
      if ((await manager.countBy(ConsumerSecretEntity, { keyMappingId: current.keyMappingId })) >= MAX_SECRETS_PER_KEY) {
        throw RegistryError.conflict(
          `A key may have at most ${MAX_SECRETS_PER_KEY} secrets (expired ones count until they are revoked); revoke one first.`,
        );
      }
      await manager.insert(ConsumerSecretEntity, row);
      await publishInTransaction(manager, 'registry.keys.secret-added.v1', keySecretEvent(current, row.secretId), origin);
    });
    const { lastUsedAt: _unused, status: _status, ...view } = consumerSecretInfoView(row, now);
    return { ...view, consumerSecret };
  }

  async listSecrets(principal: Principal, applicationId: string, keyMappingId: string): Promise<{ count: number; list: ConsumerSecretInfoView[] }> {
    const key = await this.findKey(principal, applicationId, keyMappingId);
    const secrets = await this.database.consistentRead((manager) =>
      manager.find(ConsumerSecretEntity, { where: { keyMappingId: key.keyMappingId }, order: { createdAt: 'ASC', secretId: 'ASC' } }),
    );
    const now = Date.now();
    return { count: secrets.length, list: secrets.map((secret) => consumerSecretInfoView(secret, now)) };
  }

  /**
   * The secret stops working at once on every token-service replica (its client cache drops the key on the
   * event); tokens obtained with it stay valid (docs/decisions.md). The key's last active secret is not
   * revoked: that is regenerate-secret's job.
   */
  async revokeSecret(principal: Principal, applicationId: string, keyMappingId: string, secretId: string, origin?: RequestContext): Promise<void> {
    const found = await this.findKey(principal, applicationId, keyMappingId);
    const unknown = () => RegistryError.notFound(`Secret ${secretId.slice(0, 64)} was not found for this key.`);
    if (!isUuid(secretId)) throw unknown();
    await this.database.transaction(async (manager) => {
      const current = await lockKey(manager, found.keyMappingId);
      const secrets = await manager.findBy(ConsumerSecretEntity, { keyMappingId: current.keyMappingId });
      const secret = secrets.find((candidate) => candidate.secretId === secretId.toLowerCase());
      if (!secret) throw unknown();
      const now = Date.now();
      if (isActiveSecret(secret, now) && !secrets.some((other) => other !== secret && isActiveSecret(other, now))) {
        throw RegistryError.conflict('This is the key\'s last active secret and a key must keep one; use regenerate-secret to replace it.');
      }
      await manager.delete(ConsumerSecretEntity, { secretId: secret.secretId });
      await publishInTransaction(manager, 'registry.keys.secret-revoked.v1', keySecretEvent(current, secret.secretId), origin);
    });
  }

  /** Asks the token service for a client-credentials token after checking the secret here (a wrong one never leaves the registry). */
  async generateToken(principal: Principal, applicationId: string, keyMappingId: string, input: GenerateTokenInput, origin?: RequestContext): Promise<IssueTokenResponse> {
    const key = await this.findKey(principal, applicationId, keyMappingId);
    // The key's own rule, as at the token endpoint: a key that allows no secret method refuses its secret here too.
    if (!key.tokenEndpointAuthMethods.some((method) => method === 'client_secret_basic' || method === 'client_secret_post')) {
      throw RegistryError.badRequest('This key does not authenticate with a consumer secret (tokenEndpointAuthMethods): get its tokens at the token endpoint with its private key (a signed client assertion) or its client certificate.');
    }
    const secrets = await this.database.consistentRead((manager) => manager.findBy(ConsumerSecretEntity, { keyMappingId: key.keyMappingId }));
    const presented = secrets.map((secret) => ({ hash: secret.secretHash, expiresAt: secret.expiresAt }));
    if (!matchingSecret(input.consumerSecret, presented, Date.now())) {
      throw RegistryError.invalidClientSecret('The consumer secret does not match this key.');
    }
    try {
      // Checked above; the secret does not cross the bus again (only the registry may ask for this).
      return await this.rpc.request(RPC_SUBJECTS.issueToken, {
        consumerKey: key.consumerKey,
        ...(input.validityPeriod !== undefined ? { validityPeriod: input.validityPeriod } : {}),
        ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
      }, origin);
    } catch (error) {
      if (error instanceof RpcError) throw this.tokenServiceError(error, origin);
      throw error;
    }
  }

  /**
   * lastUsedAt of the secrets a token-service replica saw in use (one UPDATE for the batch; never moved back, as
   * replicas report independently). Unknown ids (revoked meanwhile) are simply not there.
   */
  async recordSecretUse(secretIds: string[], usedAt: number): Promise<number> {
    const ids = secretIds.filter(isUuid).map((id) => id.toLowerCase());
    if (ids.length === 0) return 0;
    const result = await this.database.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(ConsumerSecretEntity)
        .set({ lastUsedAt: usedAt })
        .where('"secretId" IN (:...ids)', { ids })
        .andWhere('("lastUsedAt" IS NULL OR "lastUsedAt" < :usedAt)', { usedAt })
        .execute(),
    );
    return result.affected ?? 0;
  }

  /** The client record the token service asks for (RPC registry.rpc.client.get.v1); null for an unknown key. */
  async clientRecord(consumerKey: string): Promise<ClientRecord | null> {
    return this.database.consistentRead(async (manager) => {
      const key = await manager.findOneBy(OAuthKeyEntity, { consumerKey });
      if (!key) return null;
      const application = await manager.findOneBy(ApplicationEntity, { applicationId: key.applicationId });
      if (!application) return null;
      const secrets = await manager.find(ConsumerSecretEntity, { where: { keyMappingId: key.keyMappingId }, order: { createdAt: 'ASC', secretId: 'ASC' } });
      return {
        consumerKey: key.consumerKey,
        secrets: secrets.map((secret) => ({ secretId: secret.secretId, hash: secret.secretHash, expiresAt: secret.expiresAt })),
        keyMappingId: key.keyMappingId,
        keyType: key.keyType,
        keyState: 'ACTIVE',
        grantTypes: key.grantTypes,
        scopes: await this.scopes.definitions(manager, key.scopes),
        validityTime: key.validityTime,
        applicationId: application.applicationId,
        applicationName: application.name,
        owner: application.owner,
        tokenType: application.tokenType,
        tokenEndpointAuthMethods: key.tokenEndpointAuthMethods,
        jwks: jwksOf(key),
        resources: key.resources,
        tlsClientAuthSubjectDn: key.tlsClientAuthSubjectDn,
        requireDpop: key.requireDpop,
      };
    });
  }

  private async findKey(principal: Principal, applicationId: string, keyMappingId: string): Promise<OAuthKeyEntity> {
    return (await this.findApplicationKey(principal, applicationId, keyMappingId)).key;
  }

  /** The key of an application the caller may see; 404 for a key of another application. */
  private async findApplicationKey(
    principal: Principal,
    applicationId: string,
    keyMappingId: string,
  ): Promise<{ application: ApplicationEntity; key: OAuthKeyEntity }> {
    const application = await this.applications.findVisible(principal, applicationId);
    if (!isUuid(keyMappingId)) throw keyNotFound(keyMappingId);
    const key = await this.database.consistentRead((manager) =>
      manager.findOneBy(OAuthKeyEntity, { keyMappingId: keyMappingId.toLowerCase(), applicationId: application.applicationId }),
    );
    if (!key) throw keyNotFound(keyMappingId);
    return { application, key };
  }

  /**
   * Every scope must exist and, when it is bound to roles, the application's
   * owner must hold one of them: client-credentials tokens act as the owner and
   * are not checked against bindings by the token service, so a subscriber's key
   * must never allow `apim:admin`.
   */
  private async assertScopesAllowed(manager: EntityManager, owner: string, scopes: string[]): Promise<void> {
    const missing = await this.scopes.missing(manager, scopes);
    if (missing.length > 0) throw RegistryError.badRequest(`Scope '${missing[0]}' does not exist (see /api/am/admin/v2/scopes).`);
    const ownerRoles = (await manager.findOneBy(UserEntity, { username: owner }))?.roles ?? [];
    for (const scope of await this.scopes.definitions(manager, scopes)) {
      if (scope.bindings.length > 0 && !scope.bindings.some((role) => (ownerRoles as string[]).includes(role))) {
        throw RegistryError.badRequest(
          `Scope '${scope.name}' is bound to the role(s) ${scope.bindings.join(', ')}, which the application owner '${owner}' does not hold.`,
        );
      }
    }
  }

  private tokenServiceError(error: RpcError, origin: RequestContext | undefined) {
    const clientErrors: RpcErrorCode[] = ['invalid_request', 'invalid_scope', 'unauthorized_client'];
    if (clientErrors.includes(error.code)) return RegistryError.badRequest(`The token service refused the request (${error.code}): ${error.message}`);
    if (error.code === 'invalid_client') return RegistryError.invalidClientSecret('The token service did not accept the consumer key and secret.');
    if (error.code === 'not_found') return RegistryError.notFound('The token service does not know this key yet; retry in a moment.');
    if (error.code === 'timeout' || error.code === 'unavailable') {
      return RegistryError.unavailable('The token service is not reachable right now; retry later.');
    }
    this.logger.warn({ msg: `${RPC_SUBJECTS.issueToken} failed: ${error.code}`, ...logFieldsOf(origin) });
    return RegistryError.badGateway('The token service could not issue a token.');
  }
}

/**
 * The key, after taking its row lock (an UPDATE of updatedAt): on PostgreSQL concurrent secret changes of one key
 * then run one after the other, and each reads what the previous one committed, so the maximum and "a key keeps
 * one active secret" hold at commit. (SQLite runs every transaction alone anyway.)
 */
async function lockKey(manager: EntityManager, keyMappingId: string): Promise<OAuthKeyEntity> {
  const locked = await manager.update(OAuthKeyEntity, { keyMappingId }, { updatedAt: Date.now() });
  const key = (locked.affected ?? 0) > 0 ? await manager.findOneBy(OAuthKeyEntity, { keyMappingId }) : null;
  if (!key) throw keyNotFound(keyMappingId);
  return key;
}

function newSecretRow(keyMappingId: string, consumerSecret: string, now: number, input: GenerateSecretInput): ConsumerSecretEntity {
  return {
    secretId: randomUUID(),
    keyMappingId,
    secretHash: hashConsumerSecret(consumerSecret),
    description: input.description ?? '',
    createdAt: now,
    expiresAt: input.expiresIn === undefined ? null : now + input.expiresIn * 1000,
    lastUsedAt: null,
  };
}

function keyNotFound(keyMappingId: string) {
  return RegistryError.notFound(`Key ${keyMappingId.slice(0, 64)} was not found for this application.`);
}

function duplicateKeyType(keyType: string) {
  return RegistryError.conflict(`This application already has a ${keyType} key; update or delete it instead.`);
}

/**
 * A key's methods need what they check against: public keys for private_key_jwt (its assertions) and for
 * self_signed_tls_client_auth (its certificates), a subject DN for tls_client_auth.
 */
function assertCredentialsOfMethods(key: OAuthKeyEntity): void {
  for (const method of ['private_key_jwt', 'self_signed_tls_client_auth'] as const) {
    if (key.tokenEndpointAuthMethods.includes(method) && key.jwks === null) {
      throw RegistryError.badRequest(`'jwks' is required when 'tokenEndpointAuthMethods' includes ${method}.`);
    }
  }
  if (key.tokenEndpointAuthMethods.includes('tls_client_auth') && key.tlsClientAuthSubjectDn === null) {
    throw RegistryError.badRequest("'tlsClientAuthSubjectDn' is required when 'tokenEndpointAuthMethods' includes tls_client_auth.");
  }
}
