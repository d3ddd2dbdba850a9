import type { GrantType, KeyType } from '@keymint/contracts';
import { RegistryError } from '../../common/http-errors';
import { JsonObject, optionalJsonObject, readEnum, readInteger, readString, readStringArray, requireJsonObject } from '../../common/validation';
import { isScopeToken } from '../../scopes/scope-syntax';
import { GRANT_TYPES, KEY_TYPES } from '@keymint/contracts';

export const DEFAULT_VALIDITY_TIME = 3600;
/** Largest validityTime accepted (a 32-bit signed integer of seconds, ~68 years); the token service caps further. */
const MAX_VALIDITY_TIME = 2_147_483_647;

export interface GenerateKeysInput {
  keyType: KeyType;
  grantTypes: GrantType[];
  scopes: string[];
  validityTime: number;
  callbackUrl: string;
}

export type UpdateKeyInput = Partial<Omit<GenerateKeysInput, 'keyType'>>;

export interface GenerateTokenInput {
  consumerSecret: string;
  validityPeriod?: number;
  scopes?: string[];
}

export function parseGenerateKeysInput(body: unknown): GenerateKeysInput {
  const source = requireJsonObject(body);
  const keyType = readEnum(source, 'keyType', KEY_TYPES);
  if (!keyType) throw RegistryError.badRequest(`'keyType' is required: one of ${KEY_TYPES.join(', ')}.`);
  return {
    keyType,
    grantTypes: readGrantTypes(source, 'grantTypesToBeSupported') ?? ['client_credentials'],
    scopes: readScopes(source, 'scopes') ?? [],
    validityTime: readValidityTime(source) ?? DEFAULT_VALIDITY_TIME,
    callbackUrl: readCallbackUrl(source) ?? '',
  };
}

/** PUT …/oauth-keys/{id}: the fields given are replaced, the others kept (`grantTypesToBeSupported` is accepted as an alias). */
export function parseUpdateKeyInput(body: unknown): UpdateKeyInput {
  const source = requireJsonObject(body);
  const field = source.supportedGrantTypes !== undefined ? 'supportedGrantTypes' : 'grantTypesToBeSupported';
  return {
    grantTypes: readGrantTypes(source, field),
    scopes: readScopes(source, 'scopes'),
    validityTime: readValidityTime(source),
    callbackUrl: readCallbackUrl(source),
  };
}

export function parseGenerateTokenInput(body: unknown): GenerateTokenInput {
  const source = optionalJsonObject(body);
  return {
    consumerSecret: readString(source, 'consumerSecret', { required: true, min: 1, max: 512 }),
    // -1 (or absent) means the key's validityTime, as on the token endpoint.
    validityPeriod: readInteger(source.validityPeriod, 'validityPeriod', { min: 1, max: MAX_VALIDITY_TIME, also: [-1] }),
    scopes: readScopes(source, 'scopes'),
  };
}

function readGrantTypes(source: JsonObject, field: string): GrantType[] | undefined {
  const grantTypes = readStringArray(source, field, { maxItems: 10, maxLength: 100 });
  if (grantTypes === undefined) return undefined;
  if (grantTypes.length === 0) throw RegistryError.badRequest(`'${field}' must name at least one grant type.`);
  const unsupported = grantTypes.find((grant) => !(GRANT_TYPES as readonly string[]).includes(grant));
  if (unsupported !== undefined) {
    throw RegistryError.badRequest(`Grant type '${unsupported.slice(0, 100)}' is not supported; use ${GRANT_TYPES.join(', ')}.`);
  }
  return grantTypes as GrantType[];
}

function readScopes(source: JsonObject, field: string): string[] | undefined {
  const scopes = readStringArray(source, field, { maxItems: 100, maxLength: 255 });
  const invalid = scopes?.find((scope) => !isScopeToken(scope));
  if (invalid !== undefined) throw RegistryError.badRequest(`'${field}' holds '${invalid}', which is not a valid scope name.`);
  return scopes;
}

function readValidityTime(source: JsonObject): number | undefined {
  return readInteger(source.validityTime, 'validityTime', { min: 1, max: MAX_VALIDITY_TIME });
}

function readCallbackUrl(source: JsonObject): string | undefined {
  const callbackUrl = readString(source, 'callbackUrl', { max: 2048 });
  if (callbackUrl === undefined || callbackUrl === '') return callbackUrl;
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    throw RegistryError.badRequest(`'callbackUrl' must be an absolute URL.`);
  }
  if (url.hash) throw RegistryError.badRequest(`'callbackUrl' must not have a fragment (RFC 6749 §3.1.2).`);
  return callbackUrl;
}
