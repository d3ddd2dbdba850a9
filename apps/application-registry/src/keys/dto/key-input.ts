import { createPublicKey, JsonWebKey, KeyObject, X509Certificate } from 'node:crypto';
import { z } from 'zod/v4';
import {
  ClientJwks,
  GRANT_TYPES,
  IssueTokenResponse,
  KEY_TYPES,
  MAX_RESOURCE_LENGTH,
  MAX_RESOURCES_PER_KEY,
  MAX_RSA_PUBLIC_EXPONENT,
  privateJwkMember,
  RSA_KEY_BITS,
  RESOURCE_URI,
  resourceProblem,
  MAX_DISTINGUISHED_NAME_LENGTH,
  parseDistinguishedName,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from '@keymint/contracts';
import { jsonField } from '@keymint/http-kit';
import { SCOPE_TOKEN } from '../../scopes/scope-syntax';

export const DEFAULT_VALIDITY_TIME = 3600;
/** Largest validityTime accepted (a 32-bit signed integer of seconds, ~68 years); the token service caps further. */
const MAX_VALIDITY_TIME = 2_147_483_647;

const grantTypes = (field: string) =>
  jsonField
    .list(field, {
      maxItems: 10,
      maxLength: 100,
      allowed: { only: GRANT_TYPES, refused: (grant) => `Grant type '${grant.slice(0, 100)}' is not supported; use ${GRANT_TYPES.join(', ')}.` },
    })
    .refine((grants) => grants.length > 0, { error: `'${field}' must name at least one grant type.` });

const scopes = jsonField.list('scopes', {
  maxItems: 100,
  maxLength: 255,
  allowed: { only: SCOPE_TOKEN, refused: (scope) => `'scopes' holds '${scope}', which is not a valid scope name.` },
});

const VALIDITY_TIME = { min: 1, max: MAX_VALIDITY_TIME };
const VALIDITY_TIME_TEXT = 'Seconds: the lifetime of the access tokens.';

const callbackUrl = jsonField
  .text('callbackUrl', { max: 2048 })
  .superRefine((url, context) => {
    if (url === '') return;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      context.addIssue({ code: 'custom', message: `'callbackUrl' must be an absolute URL.` });
      return;
    }
    if (parsed.hash) context.addIssue({ code: 'custom', message: `'callbackUrl' must not have a fragment (RFC 6749 §3.1.2).` });
  })
  .describe("An absolute URL without a fragment, or ''.");

const tokenEndpointAuthMethods = jsonField
  .list('tokenEndpointAuthMethods', {
    maxItems: TOKEN_ENDPOINT_AUTH_METHODS.length,
    maxLength: 100,
    allowed: {
      only: TOKEN_ENDPOINT_AUTH_METHODS,
      refused: (method) => `Client authentication method '${method.slice(0, 100)}' is not supported; use ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}.`,
    },
  })
  .refine((methods) => methods.length > 0, { error: "'tokenEndpointAuthMethods' must name at least one method." })
  .describe('How the client may authenticate at the token, revocation and introspection endpoints.');

/**
 * The resources (RFC 8707) the key's tokens may be asked for: absolute URIs without a fragment, matched
 * as exact strings at the token endpoint. A URI given twice is refused (unlike a scope, which is dropped):
 * two entries that look alike are more likely a mistake than a wish, and the key shows what was sent.
 */
const resources = z
  .preprocess(
    (value, context) => {
      if (!Array.isArray(value) || value.length > MAX_RESOURCES_PER_KEY) return value;
      const repeated = value.find((item, index) => typeof item === 'string' && value.indexOf(item) !== index) as string | undefined;
      if (repeated === undefined) return value;
      context.issues.push({ code: 'custom', message: `'resources' lists '${repeated.slice(0, 100)}' more than once.`, input: value });
      return z.NEVER;
    },
    jsonField.list('resources', {
      maxItems: MAX_RESOURCES_PER_KEY,
      maxLength: MAX_RESOURCE_LENGTH,
      allowed: { only: RESOURCE_URI, refused: (item) => resourceProblem(item, "'resources' item") ?? `'resources' item '${item}' is not valid.` },
    }),
  )
  .meta({ uniqueItems: true })
  .describe(
    `The resources (RFC 8707) its tokens may be asked for with the token endpoint's resource parameter: at most ${MAX_RESOURCES_PER_KEY} distinct absolute URIs ` +
      `without a fragment, of at most ${MAX_RESOURCE_LENGTH} characters each, matched as exact strings; [] removes them.`,
  );

/** The algorithms a client's assertion may be signed with, hence the keys worth registering. */
const JWK_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const MAX_JWKS_KEYS = 10;
/** A JWK's `x5c`: its certificate and the chain above it, each base64 DER (RFC 7517 §4.7). */
const MAX_X5C_CERTIFICATES = 5;
const MAX_CERTIFICATE_CHARACTERS = 16_384;

/**
 * The client's public keys: a JWK Set; `{"keys": []}` removes them. They check its private_key_jwt assertions,
 * and name its self_signed_tls_client_auth certificates (a JWK of the certificate's key, its `x5c[0]` the certificate).
 */
const jwks = z
  .unknown()
  .transform((value, context): ClientJwks | null => {
    const problem = jwksProblem(value);
    if (problem) {
      context.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    const keys = (value as ClientJwks).keys;
    return keys.length === 0 ? null : { keys };
  })
  .meta({ type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } }, required: ['keys'] })
  .describe(
    `A JWK Set of at most ${MAX_JWKS_KEYS} public keys (RSA of ${RSA_KEY_BITS.min} to ${RSA_KEY_BITS.max} bits, EC P-256, OKP Ed25519/Ed448), for private_key_jwt and ` +
      `self_signed_tls_client_auth (a key's x5c: its certificate first, base64 DER); {"keys": []} removes them.`,
  );

function jwksProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    return `'jwks' must be a JWK Set: {"keys": [ ... ]}.`;
  }
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length > MAX_JWKS_KEYS) return `'jwks' holds more than ${MAX_JWKS_KEYS} keys.`;
  const kids = new Set<string>();
  for (const [index, jwk] of keys.entries()) {
    const name = `'jwks.keys[${index}]'`;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return `${name} must be a JWK object.`;
    const member = (key: string) => (jwk as Record<string, unknown>)[key];
    const secret = privateJwkMember(jwk as Record<string, unknown>);
    if (secret) return `${name} holds private or symmetric key material ('${secret}'): register public keys only.`;
    if (!['RSA', 'EC', 'OKP'].includes(member('kty') as string)) return `${name}.kty must be RSA, EC or OKP.`;
    if (member('kty') === 'EC' && member('crv') !== 'P-256') return `${name}: an EC key must use crv P-256 (ES256).`;
    if (member('kty') === 'OKP' && !['Ed25519', 'Ed448'].includes(member('crv') as string)) return `${name}: an OKP key must use crv Ed25519 or Ed448 (EdDSA).`;
    if (member('alg') !== undefined && !JWK_ALGORITHMS.includes(member('alg') as string)) return `${name}.alg must be one of ${JWK_ALGORITHMS.join(', ')}.`;
    if (member('use') !== undefined && member('use') !== 'sig') return `${name}.use must be sig.`;
    const kid = member('kid');
    if (kid !== undefined) {
      if (typeof kid !== 'string' || kid === '' || kid.length > 200) return `${name}.kid must be a string of 1 to 200 characters.`;
      if (kids.has(kid)) return `${name}.kid '${kid}' is used twice.`;
      kids.add(kid);
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      return `${name} is not a valid public key.`;
    }
    if (member('kty') === 'RSA') {
      // The token service checks assertions with this key on its request thread (RSA_KEY_BITS says why the bounds).
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < RSA_KEY_BITS.min) return `${name}: an RSA key must have at least ${RSA_KEY_BITS.min} bits.`;
      if (bits > RSA_KEY_BITS.max) return `${name}: an RSA key may have at most ${RSA_KEY_BITS.max} bits.`;
      if ((key.asymmetricKeyDetails?.publicExponent ?? 0n) >= MAX_RSA_PUBLIC_EXPONENT) return `${name}: an RSA public exponent must fit in 32 bits (use 65537).`;
    }
    const problem = member('x5c') === undefined ? null : x5cProblem(name, member('x5c'), key);
    if (problem) return problem;
  }
  return null;
}

/** RFC 7517 §4.7: base64 (not base64url) DER certificates, the first one certifying the JWK's own key. */
function x5cProblem(name: string, x5c: unknown, key: KeyObject): string | null {
  const wellFormed = (item: unknown) => typeof item === 'string' && item.length <= MAX_CERTIFICATE_CHARACTERS && /^[A-Za-z0-9+/]+={0,2}$/.test(item);
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_X5C_CERTIFICATES || !x5c.every(wellFormed)) {
    return `${name}.x5c must be a list of 1 to ${MAX_X5C_CERTIFICATES} certificates, each base64 (not base64url) DER.`;
  }
  let first: X509Certificate;
  try {
    first = new X509Certificate(Buffer.from(x5c[0] as string, 'base64'));
  } catch {
    return `${name}.x5c[0] is not an X.509 certificate.`;
  }
  return first.publicKey.equals(key) ? null : `${name}.x5c[0] certifies another key than the JWK's own.`;
}

/** RFC 8705 §2.1.2's tls_client_auth_subject_dn: an RFC 4514 string the token service can compare; '' removes it. */
const tlsClientAuthSubjectDn = jsonField
  .text('tlsClientAuthSubjectDn', { max: MAX_DISTINGUISHED_NAME_LENGTH })
  .transform((text, context): string | null => {
    const trimmed = text.trim();
    if (trimmed === '') return null;
    try {
      parseDistinguishedName(trimmed);
    } catch (error) {
      const problem = (error as Error).message;
      context.addIssue({ code: 'custom', message: `'tlsClientAuthSubjectDn' must be an RFC 4514 name such as CN=client-1,O=Example Corp,C=US; this one ${problem}.` });
      return z.NEVER;
    }
    return trimmed;
  })
  .describe("The subject DN (RFC 4514, e.g. CN=client-1,O=Example Corp,C=US) of the client's certificates for tls_client_auth; '' removes it.");
const requireDpop = jsonField
  .boolean('requireDpop')
  .describe('true: the token endpoint refuses this key\'s token requests that carry no DPoP proof (RFC 9449), so all its tokens are bound to a key. Default false.');

export const GenerateKeysInputSchema = jsonField
  .object({
    keyType: jsonField.oneOf('keyType', KEY_TYPES, `'keyType' is required: one of ${KEY_TYPES.join(', ')}.`),
    grantTypesToBeSupported: grantTypes('grantTypesToBeSupported').default(['client_credentials']),
    scopes: scopes.default([]),
    validityTime: jsonField.integer('validityTime', { ...VALIDITY_TIME, default: DEFAULT_VALIDITY_TIME }).describe(VALIDITY_TIME_TEXT),
    callbackUrl: callbackUrl.default(''),
    tokenEndpointAuthMethods: tokenEndpointAuthMethods.optional(),
    jwks: jwks.optional(),
    resources: resources.default([]),
    tlsClientAuthSubjectDn: tlsClientAuthSubjectDn.optional(),
    requireDpop: requireDpop.default(false),
  })
  .transform(({ grantTypesToBeSupported, ...rest }) => ({ ...rest, grantTypes: grantTypesToBeSupported }))
  .meta({ id: 'ApplicationKeyGenerateRequest' });
export type GenerateKeysInput = z.output<typeof GenerateKeysInputSchema>;

/**
 * PUT …/oauth-keys/{id}: the fields given are replaced, the others kept.
 * `grantTypesToBeSupported` is accepted as an alias, and ignored when `supportedGrantTypes` is there.
 */
export const UpdateKeyInputSchema = z
  .preprocess(
    (body) => {
      if (typeof body !== 'object' || body === null || !('supportedGrantTypes' in body) || body.supportedGrantTypes === undefined) return body;
      const { grantTypesToBeSupported: _alias, ...rest } = body as Record<string, unknown>;
      return rest;
    },
    jsonField.object({
      supportedGrantTypes: grantTypes('supportedGrantTypes').optional(),
      grantTypesToBeSupported: grantTypes('grantTypesToBeSupported').optional().describe('Another name for supportedGrantTypes.'),
      scopes: scopes.optional(),
      validityTime: jsonField.integer('validityTime', VALIDITY_TIME).describe(VALIDITY_TIME_TEXT),
      callbackUrl: callbackUrl.optional(),
      tokenEndpointAuthMethods: tokenEndpointAuthMethods.optional(),
      jwks: jwks.optional(),
      resources: resources.optional(),
      tlsClientAuthSubjectDn: tlsClientAuthSubjectDn.optional(),
      requireDpop: requireDpop.optional(),
    }),
  )
  .transform(({ supportedGrantTypes, grantTypesToBeSupported, ...rest }) => ({ ...rest, grantTypes: supportedGrantTypes ?? grantTypesToBeSupported }))
  .meta({ id: 'ApplicationKeyUpdate' });
export type UpdateKeyInput = z.output<typeof UpdateKeyInputSchema>;

/** generate-token: the body may be left out (then `consumerSecret` is missing). */
export const GenerateTokenInputSchema = jsonField
  .object(
    {
      consumerSecret: jsonField.text('consumerSecret', { min: 1, max: 512 }),
      validityPeriod: jsonField
        .integer('validityPeriod', { min: 1, max: MAX_VALIDITY_TIME, also: [-1] })
        .describe("Seconds; -1 or absent: the key's validityTime."),
      scopes: scopes.optional(),
    },
    { optional: true },
  )
  .meta({ id: 'TokenRequest' });
export type GenerateTokenInput = z.output<typeof GenerateTokenInputSchema>;

/** generate-token's answer (the token service's `tokens.rpc.issue.v2` reply, passed on). */
export const TokenSchema = z
  .object({ accessToken: z.string(), tokenScopes: z.array(z.string()), validityTime: z.int().describe('Seconds.') })
  .meta({ id: 'Token' }) satisfies z.ZodType<IssueTokenResponse>;

/** Longest expiresIn of a new secret: ten years of seconds. */
const MAX_SECRET_EXPIRES_IN = 10 * 365 * 24 * 3600;

/** generate-secret: another secret for the key (WSO2 4.7); the body may be left out. */
export const GenerateSecretInputSchema = jsonField
  .object(
    {
      description: jsonField.text('description', { min: 0, max: 255 }).optional(),
      expiresIn: jsonField.integer('expiresIn', { min: 1, max: MAX_SECRET_EXPIRES_IN }).describe('Seconds until the secret stops working; absent: never.'),
    },
    { optional: true },
  )
  .meta({ id: 'ConsumerSecretRequest' });
export type GenerateSecretInput = z.output<typeof GenerateSecretInputSchema>;

/** revoke-secret. */
export const RevokeSecretInputSchema = jsonField.object({ secretId: jsonField.text('secretId', { min: 1, max: 64 }) }).meta({ id: 'ConsumerSecretRevokeRequest' });
export type RevokeSecretInput = z.output<typeof RevokeSecretInputSchema>;
