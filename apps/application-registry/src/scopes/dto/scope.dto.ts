import { z } from 'zod/v4';
import { jsonField } from '@keymint/http-kit';
import { listOf } from '../../common/list-query';
import { ROLES } from '../../users/roles';
import { isBuiltInScope } from '../scope-syntax';

/**
 * The body of PUT /scopes/{name} for the scope `name` (omitted: without the
 * two rules that depend on the path, as the document shows it).
 */
export function scopeInputSchema(name?: string) {
  return jsonField
    .object({
      name: jsonField
        .text('name', { max: 255 })
        .refine((bodyName) => name === undefined || bodyName === name, { error: `'name' in the body must match the scope name in the path.` })
        .optional()
        .describe('When given, the scope name of the path.'),
      description: jsonField.text('description', { max: 512 }).default(''),
      bindings: jsonField
        .list('bindings', {
          maxItems: ROLES.length,
          maxLength: 64,
          allowed: { only: ROLES, refused: (role) => `'bindings' holds unknown role '${role}'; roles are ${ROLES.join(', ')}.` },
        })
        .default([])
        .describe('Roles that may receive the scope in user grants; a built-in scope keeps admin.'),
    })
    .superRefine((input, context) => {
      // Empty bindings exclude nobody: on a built-in scope that would hand the Admin API to every user.
      if (name !== undefined && isBuiltInScope(name) && !input.bindings.includes('admin')) {
        context.addIssue({ code: 'custom', message: `'bindings' of the built-in scope '${name}' must include admin.` });
      }
    })
    .transform(({ description, bindings }) => ({ description, bindings }));
}
export type ScopeInput = z.output<ReturnType<typeof scopeInputSchema>>;

export const ScopeInputSchema = scopeInputSchema().meta({ id: 'ScopeInput' });

export const ScopeSchema = z.object({ name: z.string(), description: z.string(), bindings: z.array(z.string()) }).meta({ id: 'Scope' });
export type ScopeView = z.infer<typeof ScopeSchema>;

export const ScopeListSchema = listOf(ScopeSchema).meta({ id: 'ScopeList' });
