import { RegistryError } from '../../common/http-errors';
import { readString, readStringArray, requireJsonObject } from '../../common/validation';
import { canonicalUsername, passwordProblem, Role, ROLES, USERNAME_HINT, USERNAME_PATTERN } from '../roles';

export interface CreateUserInput {
  username: string;
  password: string;
  roles: Role[];
}

export function parseCreateUserInput(body: unknown): CreateUserInput {
  const source = requireJsonObject(body);
  const username = readString(source, 'username', { required: true, min: 1, max: 64, pattern: USERNAME_PATTERN, patternHint: USERNAME_HINT });
  const password = readPassword(source);
  const roles = readStringArray(source, 'roles', { maxItems: ROLES.length, maxLength: 64 }) ?? [];
  const unknown = roles.find((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown !== undefined) throw RegistryError.badRequest(`'roles' holds unknown role '${unknown}'; roles are ${ROLES.join(', ')} (none: an end user).`);
  return { username: canonicalUsername(username), password, roles: roles as Role[] };
}

export function parsePasswordInput(body: unknown): string {
  return readPassword(requireJsonObject(body));
}

function readPassword(source: Record<string, unknown>): string {
  const password = readString(source, 'password', { required: true, max: 1024 });
  const problem = passwordProblem(password);
  if (problem) throw RegistryError.badRequest(problem);
  return password;
}
