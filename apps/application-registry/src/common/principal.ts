import type { Principal } from '@keymint/http-kit';

/** Admins (by role, or by a token carrying `apim:admin`) see and change every owner's applications. */
export function isAdministrator(principal: Principal): boolean {
  return principal.roles.includes('admin') || (principal.via === 'bearer' && principal.scopes.includes('apim:admin'));
}
