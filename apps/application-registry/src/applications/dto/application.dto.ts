import type { TokenFormat } from '@keymint/contracts';
import { RegistryError } from '../../common/http-errors';
import { JsonObject, readEnum, readString, readStringMap, requireJsonObject } from '../../common/validation';
import { THROTTLING_POLICIES, ThrottlingPolicy, TOKEN_TYPES } from '../application.entity';

/** What a client may set on an application (POST and PUT); read-only fields in the body are ignored, as in WSO2. */
export interface ApplicationInput {
  name: string;
  throttlingPolicy: ThrottlingPolicy;
  description: string;
  tokenType: TokenFormat;
  attributes: Record<string, string>;
}

export const APPLICATION_SORT_FIELDS = ['name', 'throttlingPolicy', 'status'] as const;
export type ApplicationSortField = (typeof APPLICATION_SORT_FIELDS)[number];

/** Validates a POST/PUT body; every problem is a 400 naming the field. */
export function parseApplicationInput(body: unknown): ApplicationInput {
  const source: JsonObject = requireJsonObject(body);
  const name = readString(source, 'name', { required: true, min: 1, max: 100 }).trim();
  if (name.length === 0) throw RegistryError.badRequest(`'name' must not be blank.`);
  return {
    name,
    throttlingPolicy: readEnum(source, 'throttlingPolicy', THROTTLING_POLICIES, 'Unlimited')!,
    description: readString(source, 'description', { max: 512 }) ?? '',
    tokenType: readEnum(source, 'tokenType', TOKEN_TYPES, 'JWT')!,
    attributes: readStringMap(source, 'attributes', { maxEntries: 50, maxKeyLength: 100, maxValueLength: 1024 }) ?? {},
  };
}
