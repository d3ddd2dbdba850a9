import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { GrantType, KeyType, TokenEndpointAuthMethod } from '@keymint/contracts';
import { bigintAsNumber, jsonText } from '@keymint/persistence';

/** A consumer key of an application: at most one per key type. Its secrets: ConsumerSecretEntity. */
@Entity('oauth_keys')
export class OAuthKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  keyMappingId: string;

  @Column({ type: 'varchar', length: 36 })
  applicationId: string;

  @Column({ type: 'varchar', length: 10 })
  keyType: KeyType;

  @Column({ type: 'varchar', length: 64 })
  consumerKey: string;

  @Column({ type: 'text', transformer: jsonText })
  grantTypes: GrantType[];

  @Column({ type: 'text', transformer: jsonText })
  scopes: string[];

  /** Default access token lifetime in seconds. */
  @Column({ type: 'integer' })
  validityTime: number;

  @Column({ type: 'text' })
  callbackUrl: string;

  /** How the client may authenticate (migration 1700000000002: every older key allows the two secret methods). */
  @Column({ type: 'text', transformer: jsonText })
  tokenEndpointAuthMethods: TokenEndpointAuthMethod[];

  /**
   * The client's public keys as JSON text (a JWK Set, checked on the way in), or null: they check its
   * private_key_jwt assertions and name the certificates its self_signed_tls_client_auth presents.
   */
  @Column({ type: 'text', nullable: true })
  jwks: string | null;

  /** The resources (RFC 8707 absolute URIs) its tokens may be asked for, exactly as registered (migration 1700000000004: none). */
  @Column({ type: 'text', transformer: jsonText })
  resources: string[];
  /** The subject DN (RFC 4514, as registered) of its tls_client_auth certificates, or null (migration 1700000000006). */
  @Column({ type: 'text', nullable: true })
  tlsClientAuthSubjectDn: string | null;

  /** Every token request must carry a DPoP proof (RFC 9449), so every token of the key is bound (migration 1700000000005: false for older keys). */
  @Column({ type: 'boolean', default: false })
  requireDpop: boolean;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  createdAt: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  updatedAt: number;
}
