import { z } from 'zod/v4';
import { jsonField } from '@keymint/http-kit';
import { listOf } from '../../common/list-query';
import { canonicalUsername, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem, ROLES, USERNAME_HINT, USERNAME_PATTERN } from '../roles';

/** Read up to 1024 characters, then held to the password rules (which the admin bootstrap applies too). */
const password = jsonField
  .text('password', { max: 1024 })
  .superRefine((value, context) => {
    const problem = passwordProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .meta({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: 'Not only whitespace.' });

const roles = jsonField.list('roles', {
  maxItems: ROLES.length,
  maxLength: 64,
  allowed: { only: ROLES, refused: (role) => `'roles' holds unknown role '${role}'; roles are ${ROLES.join(', ')} (none: an end user).` },
});

export const CreateUserInputSchema = jsonField
  .object({
    username: jsonField
      .text('username', { min: 1, max: 64, match: { pattern: USERNAME_PATTERN, hint: USERNAME_HINT } })
      .transform(canonicalUsername)
      .describe('Case-insensitive: stored in lower case.'),
    password,
    roles: roles.default([]).describe('None: an end user (password grant only).'),
  })
  .meta({ id: 'UserInput' });
export type CreateUserInput = z.output<typeof CreateUserInputSchema>;

export const PasswordChangeSchema = jsonField.object({ password }).meta({ id: 'PasswordChange' });

export const RolesChangeSchema = jsonField
  .object({
    roles: roles.describe("The user's roles from now on; none: an end user. A role taken away revokes the user's tokens."),
  })
  .meta({ id: 'RolesChange' });

export const UserSchema = z.object({ userId: z.uuid(), username: z.string(), roles: z.array(z.enum(ROLES)) }).meta({ id: 'User' });
export type UserView = z.infer<typeof UserSchema>;

export const UserListSchema = listOf(UserSchema).meta({ id: 'UserList' });
