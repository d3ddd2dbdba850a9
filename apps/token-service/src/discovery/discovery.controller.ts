import { Controller, Get, Inject } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from '@keymint/contracts';
import { ASSERTION_ALGORITHMS } from '../client-authentication/client-assertion';
import { DPOP_ALGORITHMS } from '../dpop/dpop-proof';
import { JwtSigner } from '../minting/jwt-signer';

/** RFC 8414 metadata and the JWKS; endpoints are derived from the issuer's origin. */
@Controller()
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(
    @Inject(CONFIG) config: TokenServiceConfig,
    @Inject(JwtSigner) private readonly signer: JwtSigner,
  ) {
    const origin = new URL(config.ISSUER).origin;
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

  @Get(['jwks', 'oauth2/jwks'])
  jwks() {
    return this.signer.jwks();
  }
}
