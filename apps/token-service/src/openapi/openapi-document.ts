import { z } from 'zod/v4';
import { buildOpenApiDocument, HeaderDoc, OperationDoc, ResponseDoc, SecurityRequirement } from '@keymint/http-kit';
import { IntrospectionController } from '../introspection/introspection.controller';
import {
  AuthorizationServerMetadataSchema,
  IntrospectionRequestSchema,
  IntrospectionResponseSchema,
  JwksSchema,
  oauth2ErrorSchema,
  RevocationRequestSchema,
  TokenRequestSchema,
  TokenResponseSchema,
} from '../oauth2/http-schemas';
import { RevocationController } from '../revocation/revocation.controller';
import { TokenController } from '../token-endpoint/token.controller';
import { DiscoveryController } from '../discovery/discovery.controller';

/** On every answer of the token service (docs/token-api.md); RFC 6749 §5.1 requires the first two on tokens. */
const NO_STORE: Record<string, HeaderDoc> = {
  'Cache-Control': { description: 'Never store the answer.', schema: z.literal('no-store') },
  Pragma: { description: 'The same for HTTP/1.0 caches.', schema: z.literal('no-cache') },
};

/** The same schema for both media types the endpoints accept. */
const formOrJson = <T>(schema: T) => ({ 'application/x-www-form-urlencoded': schema, 'application/json': schema });

const error = (description: string, codes: [string, ...string[]], headers: Record<string, HeaderDoc> = {}): ResponseDoc => ({
  description,
  body: oauth2ErrorSchema(...codes),
  headers: { ...NO_STORE, ...headers },
});

const CLIENT_ERRORS: Record<number, ResponseDoc> = {
  401: error('Client authentication failed: no credentials, an unknown or revoked key, a wrong secret, a malformed Basic header, a client certificate the key does not accept.', ['invalid_client'], {
    'WWW-Authenticate': { description: 'The challenge RFC 7235 requires.', schema: z.literal('Basic realm="keymint"') },
  }),
  429: error('Too many failed authentications for this key (or user) from this address.', ['too_many_requests'], {
    'Retry-After': { description: 'Seconds until the block ends.', schema: z.string().regex(/^\d+$/) },
  }),
  503: error('The registry cannot be asked about an uncached client (or the user directory is down, or busy with too many password checks), or the token store cannot be reached right now.', ['temporarily_unavailable'], {
    'Retry-After': { description: 'Seconds to wait.', schema: z.literal('5') },
  }),
};

/** client_secret_basic, a client certificate (mutual TLS), or none here when the credentials are in the body (client_secret_post, private_key_jwt). */
const CLIENT_AUTHENTICATION: SecurityRequirement[] = [{ clientSecretBasic: [] }, { mutualTls: [] }, {}];

/** RFC 9449 §8: the nonce the next DPoP proof must carry, when the server requires nonces (DPOP_NONCE_REQUIRED). */
const DPOP_NONCE: Record<string, HeaderDoc> = {
  'DPoP-Nonce': { description: 'With DPOP_NONCE_REQUIRED: the nonce for the next DPoP proof (RFC 9449 §8).', schema: z.string() },
};

const TOKEN: OperationDoc = {
  summary: 'Issue an access token (client_credentials, password, refresh_token)',
  description:
    "RFC 6749 §3.2 with WSO2's validity_period and RFC 8707's resource (repeatable: the token's aud). Client authentication: Basic, client_id and client_secret " +
    'in the body, a signed client assertion, or client_id with a TLS client certificate (RFC 8705). A client certificate, whatever the method, binds the ' +
    'tokens to it (cnf x5t#S256). ' +
    'A `DPoP` header (RFC 9449 proof JWT) binds the tokens to its key: token_type DPoP, cnf.jkt.',
  security: CLIENT_AUTHENTICATION,
  body: formOrJson(TokenRequestSchema),
  responses: {
    200: { description: 'RFC 6749 §5.1', body: TokenResponseSchema, headers: { ...NO_STORE, ...DPOP_NONCE } },
    400: error(
      'RFC 6749 §5.2: a malformed request, a bad scope, a malformed or disallowed resource (RFC 8707), an unknown or disallowed grant, bad user credentials or refresh token; RFC 9449: a bad or missing DPoP proof, or a nonce to use.',
      ['invalid_request', 'invalid_scope', 'invalid_target', 'unsupported_grant_type', 'unauthorized_client', 'invalid_grant', 'invalid_dpop_proof', 'use_dpop_nonce'],
      DPOP_NONCE,
    ),
    ...CLIENT_ERRORS,
  },
};

const REVOKE: OperationDoc = {
  summary: 'Revoke an access or refresh token (RFC 7009)',
  description: 'Known and unknown tokens both answer 200; revoking a refresh token revokes its family.',
  security: CLIENT_AUTHENTICATION,
  body: formOrJson(RevocationRequestSchema),
  responses: {
    200: { description: 'Revoked, or not a token (empty body)', headers: NO_STORE },
    400: error('No token, or a token of another client.', ['invalid_request']),
    ...CLIENT_ERRORS,
  },
};

const INTROSPECT: OperationDoc = {
  summary: 'Introspect a token (RFC 7662)',
  description: 'A client sees its own tokens; an admin user (Basic) sees every token.',
  security: [{ clientSecretBasic: [] }, { adminBasic: [] }, { mutualTls: [] }, {}],
  body: formOrJson(IntrospectionRequestSchema),
  responses: {
    200: { description: 'RFC 7662 §2.2', body: IntrospectionResponseSchema, headers: NO_STORE },
    400: error('No token.', ['invalid_request']),
    ...CLIENT_ERRORS,
  },
};

const PUBLIC = { security: [] as SecurityRequirement[] };

export const TOKEN_SERVICE_DOCUMENT = buildOpenApiDocument({
  title: 'keymint Token API',
  version: 'v1',
  description: 'OAuth 2.0 authorization server with the WSO2 API Manager Token API paths (docs/token-api.md). Every endpoint is at both paths.',
  controllers: [TokenController, RevocationController, IntrospectionController, DiscoveryController],
  operations: new Map<unknown, OperationDoc>([
    [TokenController.prototype.token, TOKEN],
    [RevocationController.prototype.revoke, REVOKE],
    [IntrospectionController.prototype.introspect, INTROSPECT],
    [DiscoveryController.prototype.jwks, { ...PUBLIC, summary: 'The public keys of the JWT signatures', responses: { 200: { description: 'RFC 7517', body: JwksSchema, headers: NO_STORE } } }],
    [
      DiscoveryController.prototype.discovery,
      {
        ...PUBLIC,
        summary: 'Authorization server metadata (RFC 8414)',
        description:
          "Also at /.well-known/oauth-authorization-server followed by the issuer's path (RFC 8414 §3.1): /.well-known/oauth-authorization-server/oauth2/token with the default issuer. /.well-known/openid-configuration answers 404: keymint is no OpenID Provider.",
        responses: { 200: { description: 'The metadata', body: AuthorizationServerMetadataSchema, headers: NO_STORE } },
      },
    ],
  ]),
  securitySchemes: {
    clientSecretBasic: { type: 'http', scheme: 'basic', description: 'Consumer key and secret, each form-urlencoded first (RFC 6749 Appendix B).' },
    adminBasic: { type: 'http', scheme: 'basic', description: "An admin user's username and password (introspection only)." },
    mutualTls: { type: 'mutualTLS', description: 'A TLS client certificate with client_id in the body: tls_client_auth or self_signed_tls_client_auth (RFC 8705 §2).' },
  },
});
