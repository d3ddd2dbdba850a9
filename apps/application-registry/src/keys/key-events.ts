import type { KeyRefV1, KeySecretV1, KeysV1 } from '@keymint/contracts';
import type { OAuthKeyEntity } from './oauth-key.entity';

export function keysEvent(key: OAuthKeyEntity): KeysV1 {
  return {
    applicationId: key.applicationId,
    keyMappingId: key.keyMappingId,
    consumerKey: key.consumerKey,
    keyType: key.keyType,
    grantTypes: key.grantTypes,
    scopes: key.scopes,
    validityTime: key.validityTime,
  };
}

export function keyRefEvent(key: OAuthKeyEntity): KeyRefV1 {
  return { applicationId: key.applicationId, keyMappingId: key.keyMappingId, consumerKey: key.consumerKey, keyType: key.keyType };
}

export function keySecretEvent(key: OAuthKeyEntity, secretId: string): KeySecretV1 {
  return { ...keyRefEvent(key), secretId };
}
