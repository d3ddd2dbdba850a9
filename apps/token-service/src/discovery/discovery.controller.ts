import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from '@keymint/contracts';
import { ASSERTION_ALGORITHMS } from '../client-authentication/client-assertion';
import { DPOP_ALGORITHMS } from '../dpop/dpop-proof';
import { JwtSigner } from '../minting/jwt-signer';

const METADATA_PREFIX = '/.well-known/oauth-authorization-server';

/**
 * Where RFC 8414 §3.1 puts the metadata of `issuer`: the well-known prefix, then the issuer's path without its
 * terminating "/" (https://localhost:8243/oauth2/token → /.well-known/oauth-authorization-server/oauth2/token;
 * an issuer without a path → the prefix alone).
 */
function metadataPath(issuer: string): string {
  return `${METADATA_PREFIX}${new URL(issuer).pathname.replace(/\/+$/, '')}`;
}

/**
 * RFC 8414 metadata and the JWKS; endpoints are derived from the issuer's origin. The metadata is served where
 * RFC 8414 puts it for ISSUER, and at the prefix alone (where keymint served it first). keymint is no OpenID
 * Provider: /.well-known/openid-configuration answers 404 with where to look instead (docs/decisions.md).
 */
@Controller()
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;
  /** ISSUER's metadata path, without the prefix: '/oauth2/token' by default, '' for an issuer without a path. */
  private readonly issuerPath: string;
  private readonly metadataUrl: string;

  constructor(
    @Inject(CONFIG) config: TokenServiceConfig,
    @Inject(JwtSigner) private readonly signer: JwtSigner,
  ) {
    const origin = new URL(config.ISSUER).origin;
    this.issuerPath = metadataPath(config.ISSUER).slice(METADATA_PREFIX.length);
    this.metadataUrl = `${origin}${metadataPath(config.ISSUER)}`;
    this.metadata = {
      issuer: config.ISSUER,
      token_endpoint: `${origin}/oauth2/token`,
      revocation_endpoint: `${origin}/oauth2/revoke`,
      introspection_endpoint: `${origin}/oauth2/introspect`,
      jwks_uri: `${origin}/oauth2/jwks`,
      grant_types_supported: GRANT_TYPES,
      response_types_supported: [],
      token_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
      revocation_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
      introspection_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      scopes_supported: ['am_application_scope', 'default'],
      // RFC 8705 §3.3. No mtls_endpoint_aliases (§5): mutual TLS is served on the endpoints above themselves.
      tls_client_certificate_bound_access_tokens: true,
      // RFC 9449 §5.1: the token endpoint takes DPoP proofs signed with these.
      dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    };
  }

  @Get('.well-known/oauth-authorization-server')
  discovery(): Record<string, unknown> {
    return this.metadata;
  }

  /** RFC 8414 §3.1 for an issuer with a path; any other path names no issuer of this server. */
  @Get('.well-known/oauth-authorization-server/*')
  discoveryForIssuerPath(@Param('*') path: string): Record<string, unknown> {
    if (`/${path}` === this.issuerPath) return this.metadata;
    throw new NotFoundException(`This server's only issuer is ${String(this.metadata.issuer)}; its metadata is at ${this.metadataUrl}.`);
  }

  /** OpenID Connect Discovery, at its own path and at the RFC 8414 form of it: keymint is no OpenID Provider. */
  @Get(['.well-known/openid-configuration', '.well-known/openid-configuration/*'])
  openIdConfiguration(): never {
    throw new NotFoundException(
      `keymint is an OAuth 2.0 authorization server, not an OpenID Provider (no ID tokens, no userinfo): its authorization server metadata (RFC 8414) is at ${this.metadataUrl}.`,
    );
  }

  @Get(['jwks', 'oauth2/jwks'])
  jwks() {
    return this.signer.jwks();
  }
}
