import { z } from 'zod/v4';
import { GRANT_TYPES, MAX_RESOURCE_LENGTH, RESOURCE_URI, resourceProblem, RPC_SCHEMAS, TOKEN_ENDPOINT_AUTH_METHODS } from '@keymint/contracts';

/**
 * The Token API's requests and answers as schemas (docs/token-api.md): the
 * endpoints read their parameters with them (`readParameters`, which turns a
 * failure into the RFC's error) and the OpenAPI document
 * (`GET /oauth2/openapi.json`) is built from them. Bodies
 * are application/x-www-form-urlencoded or a JSON object; every value is a
 * string (a JSON number or boolean counts as its text, a null as absent) and
 * a parameter may be given once, but `resource` (RFC 8707), which may be
 * repeated (in JSON, an array).
 */

/** Spaces and RFC 6749 §3.3 scope-token characters: `scope` is split on spaces and each token must be a scope-token. */
const SCOPE_TEXT = /^[ \x21\x23-\x5B\x5D-\x7E]*$/;

const scope = z.string().regex(SCOPE_TEXT).describe('Space-separated scope tokens; duplicates are ignored, scopes the client may not have are dropped.');

const validityPeriod = z
  .string()
  .regex(/^\s*(-1|\d{1,15})\s*$/)
  .refine((text) => Number(text) !== 0, { abort: true })
  .describe("WSO2's lifetime in seconds: a positive integer, capped at MAX_TOKEN_VALIDITY; -1 (or absent): the key's validityTime.");

/** RFC 8707 §2: the first value that is not an absolute URI without a fragment is refused with invalid_target, saying why. */
function resource(description: string) {
  return z
    .array(z.string())
    .superRefine((resources, context) => {
      const problem = resources.map((value) => resourceProblem(value, 'resource')).find((found) => found !== null);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .meta({ items: { type: 'string', maxLength: MAX_RESOURCE_LENGTH, pattern: RESOURCE_URI.source } })
    .optional()
    .describe(`${description} Repeat the parameter for several (resource=a&resource=b; in JSON, a string or an array).`);
}

const resourceOfNewGrant = resource(
  "RFC 8707: an absolute URI, without fragment, among the key's resources (exact string match); the token's aud. Absent: aud is the consumer key.",
);

/** client_secret_post, private_key_jwt or mutual TLS: the client's credentials in the body instead of Basic (never two methods). */
const clientInBody = {
  client_id: z
    .string()
    .optional()
    .describe('The consumer key (client_secret_post, and alone with a TLS client certificate: tls_client_auth, self_signed_tls_client_auth; with Basic or an assertion, if given, the same key).'),
  client_secret: z.string().optional().describe('The consumer secret (client_secret_post).'),
  client_assertion_type: z
    .literal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    .optional()
    .describe('private_key_jwt (RFC 7523 §2.2), with client_assertion.'),
  client_assertion: z.string().optional().describe("A JWT signed by one of the key's registered public keys (private_key_jwt)."),
};

export const ClientCredentialsRequestSchema = z
  .object({
    grant_type: z.literal('client_credentials'),
    scope: scope.optional(),
    validity_period: validityPeriod.optional(),
    resource: resourceOfNewGrant,
    ...clientInBody,
  })
  .meta({ id: 'ClientCredentialsRequest', description: 'RFC 6749 §4.4; the token always carries am_application_scope.' });

export const PasswordRequestSchema = z
  .object({
    grant_type: z.literal('password'),
    username: z.string().min(1),
    password: z.string(),
    scope: scope.optional(),
    validity_period: validityPeriod.optional(),
    resource: resourceOfNewGrant,
    ...clientInBody,
  })
  .meta({ id: 'PasswordRequest', description: 'RFC 6749 §4.3; the user is checked by the registry.' });

export const RefreshTokenRequestSchema = z
  .object({
    grant_type: z.literal('refresh_token'),
    refresh_token: z.string().min(1).describe('Rotates: the answer carries a new one; presenting a used one again revokes its family.'),
    scope: scope.optional().describe('May narrow the original scopes, never widen them.'),
    resource: resource(
      "RFC 8707 §2.2: may narrow the refresh token's resources for this access token, never widen them. Absent: all of them. The new refresh token keeps them all (less any the key no longer lists).",
    ),
    ...clientInBody,
  })
  .meta({ id: 'RefreshTokenRequest', description: 'RFC 6749 §6; the new access token gets the key validityTime.' });

export type ClientCredentialsRequest = z.infer<typeof ClientCredentialsRequestSchema>;
export type PasswordRequest = z.infer<typeof PasswordRequestSchema>;
export type RefreshTokenRequest = z.infer<typeof RefreshTokenRequestSchema>;

export const TokenRequestSchema = z
  .discriminatedUnion('grant_type', [ClientCredentialsRequestSchema, PasswordRequestSchema, RefreshTokenRequestSchema])
  .meta({ id: 'TokenRequest' });

/** RFC 6749 §5.1. */
export const TokenResponseSchema = z
  .object({
    access_token: z.string().describe('A JWT, or an opaque 43-character base64url string (the application tokenType).'),
    refresh_token: z.string().optional().describe('Password and refresh_token grants on keys that allow refresh_token.'),
    scope: z.string().describe('The granted scopes, sorted and space-separated.'),
    token_type: z.enum(['Bearer', 'DPoP']).describe('DPoP for a token bound to the DPoP proof\'s key (RFC 9449), else Bearer.'),
    expires_in: z.int().positive().describe('Seconds.'),
  })
  .meta({ id: 'TokenResponse' });
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** RFC 6749 §5.2, with the codes a status can carry. */
export function oauth2ErrorSchema(...codes: [string, ...string[]]) {
  return z.object({ error: z.enum(codes), error_description: z.string().describe('What was wrong, for people.') });
}

const tokenParameter = z.string().min(1).describe('An access or refresh token.');
const tokenTypeHint = z.string().optional().describe('access_token or refresh_token; not needed, a wrong hint still finds the token.');

/** RFC 7009. */
export const RevocationRequestSchema = z
  .object({ token: tokenParameter, token_type_hint: tokenTypeHint, ...clientInBody })
  .meta({ id: 'RevocationRequest' });

/** RFC 7662; the caller is a client (its own tokens) or an admin user with Basic (every token). */
export const IntrospectionRequestSchema = z
  .object({ token: tokenParameter, token_type_hint: tokenTypeHint, ...clientInBody })
  .meta({ id: 'IntrospectionRequest' });

/** RFC 7662 §2.2: exactly `{"active": false}` for unknown, expired, revoked or another client's tokens; the same answer as the introspect RPC's. */
export const IntrospectionResponseSchema = RPC_SCHEMAS['tokens.rpc.introspect.v1'].response.meta({ id: 'IntrospectionResponse' });

/** RFC 7517: the public keys of the JWT signatures, retired ones included while tokens they signed may live. */
export const JwksSchema = z
  .object({
    keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.enum(['RS256', 'ES256', 'EdDSA']), use: z.literal('sig') })),
  })
  .meta({ id: 'JWKS' });

const authMethods = z.array(z.enum(TOKEN_ENDPOINT_AUTH_METHODS));
const authSigningAlgorithms = z.array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'])).describe('What private_key_jwt assertions may be signed with.');

/** RFC 8414; the endpoints are the /oauth2/… paths on the issuer's origin. */
export const AuthorizationServerMetadataSchema = z
  .object({
    issuer: z.string().describe('ISSUER.'),
    token_endpoint: z.url(),
    revocation_endpoint: z.url(),
    introspection_endpoint: z.url(),
    jwks_uri: z.url(),
    grant_types_supported: z.array(z.enum(GRANT_TYPES)),
    response_types_supported: z.array(z.string()).describe('None: there is no authorization endpoint.'),
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: authSigningAlgorithms,
    revocation_endpoint_auth_signing_alg_values_supported: authSigningAlgorithms,
    introspection_endpoint_auth_signing_alg_values_supported: authSigningAlgorithms,
    scopes_supported: z.array(z.string()),
    tls_client_certificate_bound_access_tokens: z.literal(true).describe('RFC 8705 §3.3: a client certificate presented at the token endpoint binds the tokens to it.'),
    dpop_signing_alg_values_supported: z.array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'])).describe('What DPoP proofs (RFC 9449) may be signed with.'),
  })
  .meta({ id: 'AuthorizationServerMetadata' });
