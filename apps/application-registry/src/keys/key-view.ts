import type { GrantType, KeyType } from '@keymint/contracts';
import type { OAuthKeyEntity } from './oauth-key.entity';

/** WSO2's ApplicationKey, without the secret (shown only by generate-keys and regenerate-secret). */
export interface ApplicationKeyView {
  keyMappingId: string;
  keyManager: string;
  consumerKey: string;
  supportedGrantTypes: GrantType[];
  callbackUrl: string;
  keyState: 'COMPLETED';
  keyType: KeyType;
  mode: 'CREATED';
  scopes: string[];
  validityTime: number;
}

/** WSO2's name for the built-in key manager; clients show it. */
export const KEY_MANAGER = 'Resident Key Manager';

export function applicationKeyView(key: OAuthKeyEntity): ApplicationKeyView {
  return {
    keyMappingId: key.keyMappingId,
    keyManager: KEY_MANAGER,
    consumerKey: key.consumerKey,
    supportedGrantTypes: key.grantTypes,
    callbackUrl: key.callbackUrl,
    // WSO2's state of a finished key generation (there is no approval workflow here).
    keyState: 'COMPLETED',
    keyType: key.keyType,
    mode: 'CREATED',
    scopes: key.scopes,
    validityTime: key.validityTime,
  };
}
