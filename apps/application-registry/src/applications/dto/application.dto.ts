import { z } from 'zod/v4';
import { jsonField } from '@keymint/http-kit';
import { THROTTLING_POLICIES, TOKEN_TYPES } from '../application.entity';

/**
 * What a client may set on an application (POST and PUT); read-only fields in
 * the body are ignored, as in WSO2. Every problem is a 400 naming the field.
 */
export const ApplicationInputSchema = jsonField
  .object({
    name: jsonField
      .text('name', { min: 1, max: 100 })
      .transform((name) => name.trim())
      .refine((name) => name.length > 0, { error: `'name' must not be blank.` })
      .describe('Trimmed; unique per owner, case-insensitively.'),
    throttlingPolicy: jsonField.oneOf('throttlingPolicy', THROTTLING_POLICIES).default('Unlimited').describe('Stored for gateways, not enforced here.'),
    description: jsonField.text('description', { max: 512 }).default(''),
    tokenType: jsonField.oneOf('tokenType', TOKEN_TYPES).default('JWT').describe('JWT, or OAUTH for opaque tokens.'),
    attributes: jsonField.map('attributes', { maxEntries: 50, maxKeyLength: 100, maxValueLength: 1024 }).default({}),
  })
  .meta({ id: 'ApplicationInput' });
export type ApplicationInput = z.output<typeof ApplicationInputSchema>;

export const APPLICATION_SORT_FIELDS = ['name', 'throttlingPolicy', 'status'] as const;
export type ApplicationSortField = (typeof APPLICATION_SORT_FIELDS)[number];
