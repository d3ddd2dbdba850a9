import { z } from 'zod/v4';
import { ClientJwks, ClientJwksSchema, GRANT_TYPES, KEY_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from '@keymint/contracts';
import { listOf } from '../common/list-query';
import type { ConsumerSecretEntity } from './consumer-secret.entity';
import type { OAuthKeyEntity } from './oauth-key.entity';

/** WSO2's ApplicationKey, without the secret (shown only by generate-keys, regenerate-secret and generate-secret). */
export const ApplicationKeySchema = z
  .object({
    keyMappingId: z.uuid(),
    keyManager: z.string(),
    consumerKey: z.string(),
    supportedGrantTypes: z.array(z.enum(GRANT_TYPES)),
    callbackUrl: z.string(),
    // WSO2's state of a finished key generation (there is no approval workflow here).
    keyState: z.literal('COMPLETED'),
    keyType: z.enum(KEY_TYPES),
    mode: z.literal('CREATED'),
    scopes: z.array(z.string()),
    validityTime: z.int().describe('Seconds: the lifetime of its access tokens.'),
    tokenEndpointAuthMethods: z.array(z.enum(TOKEN_ENDPOINT_AUTH_METHODS)).describe('How the client may authenticate.'),
    resources: z.array(z.string()).describe("The resources (RFC 8707) its tokens may be asked for with the token endpoint's resource parameter; []: none, its tokens' aud is the consumer key."),
    jwks: ClientJwksSchema.nullable().describe("The client's public keys for private_key_jwt and its certificates for self_signed_tls_client_auth."),
    tlsClientAuthSubjectDn: z.string().nullable().describe("The subject DN (RFC 4514) of the client's certificates for tls_client_auth."),
    requireDpop: z.boolean().describe('Every token request must carry a DPoP proof (RFC 9449): the key gets sender-constrained tokens only.'),
  })
  .meta({ id: 'ApplicationKey' });
export type ApplicationKeyView = z.infer<typeof ApplicationKeySchema>;

export const GeneratedApplicationKeySchema = ApplicationKeySchema.extend({
  consumerSecret: z.string().describe('Shown only here.'),
}).meta({ id: 'GeneratedApplicationKey' });
export type GeneratedKeyView = z.infer<typeof GeneratedApplicationKeySchema>;

export const ApplicationKeyListSchema = listOf(ApplicationKeySchema).meta({ id: 'ApplicationKeyList' });

export const ConsumerSecretSchema = z.object({ consumerKey: z.string(), consumerSecret: z.string() }).meta({ id: 'ConsumerSecret' });

/** WSO2's name for the built-in key manager; clients show it. */
export const KEY_MANAGER = 'Resident Key Manager';

export function applicationKeyView(key: OAuthKeyEntity): ApplicationKeyView {
  return {
    keyMappingId: key.keyMappingId,
    keyManager: KEY_MANAGER,
    consumerKey: key.consumerKey,
    supportedGrantTypes: key.grantTypes,
    callbackUrl: key.callbackUrl,
    keyState: 'COMPLETED',
    keyType: key.keyType,
    mode: 'CREATED',
    scopes: key.scopes,
    validityTime: key.validityTime,
    tokenEndpointAuthMethods: key.tokenEndpointAuthMethods,
    jwks: jwksOf(key),
    resources: key.resources,
    tlsClientAuthSubjectDn: key.tlsClientAuthSubjectDn,
    requireDpop: key.requireDpop,
  };
}

/** The key's public keys for private_key_jwt, or null. */
export function jwksOf(key: OAuthKeyEntity): ClientJwks | null {
  return key.jwks === null ? null : (JSON.parse(key.jwks) as ClientJwks);
}

/** Whether a secret still authenticates; revoked secrets are deleted, so they are never listed (as in WSO2). */
export const SECRET_STATUSES = ['ACTIVE', 'EXPIRED'] as const;

/** A consumer secret as listed: never the secret (nor its hash). Times in ISO 8601 like the applications' times. */
export const ConsumerSecretInfoSchema = z
  .object({
    secretId: z.uuid(),
    description: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable().describe('null: never expires.'),
    lastUsedAt: z.iso.datetime().nullable().describe('Best effort, reported in batches about once a minute; null: not used since it was added.'),
    status: z.enum(SECRET_STATUSES),
  })
  .meta({ id: 'ConsumerSecretInfo' });
export type ConsumerSecretInfoView = z.infer<typeof ConsumerSecretInfoSchema>;

export const ConsumerSecretListSchema = listOf(ConsumerSecretInfoSchema).meta({ id: 'ConsumerSecretList' });

/** generate-secret's answer: the only time the secret is shown. */
export const GeneratedConsumerSecretSchema = z
  .object({
    secretId: z.uuid(),
    consumerSecret: z.string().describe('Shown only here.'),
    description: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable().describe('null: never expires.'),
  })
  .meta({ id: 'GeneratedConsumerSecret' });
export type GeneratedConsumerSecretView = z.infer<typeof GeneratedConsumerSecretSchema>;

const isoOrNull = (time: number | null) => (time === null ? null : new Date(time).toISOString());

export function consumerSecretInfoView(secret: ConsumerSecretEntity, now: number): ConsumerSecretInfoView {
  return {
    secretId: secret.secretId,
    description: secret.description,
    createdAt: new Date(secret.createdAt).toISOString(),
    expiresAt: isoOrNull(secret.expiresAt),
    lastUsedAt: isoOrNull(secret.lastUsedAt),
    status: isActiveSecret(secret, now) ? 'ACTIVE' : 'EXPIRED',
  };
}

export function isActiveSecret(secret: Pick<ConsumerSecretEntity, 'expiresAt'>, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now;
}
