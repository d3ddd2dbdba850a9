/** RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const SCOPE_NAME_MAX_LENGTH = 255;

export function isScopeToken(name: string): boolean {
  return name.length <= SCOPE_NAME_MAX_LENGTH && SCOPE_TOKEN.test(name);
}

/** Scopes every registry has; the admin APIs themselves depend on them, so they cannot be deleted. */
export const BUILT_IN_SCOPES = [
  { name: 'apim:subscribe', description: 'Use the Developer Portal API: manage your applications and keys.', bindings: ['admin', 'subscriber'] },
  { name: 'apim:admin', description: 'Use the Admin API: users, scopes and every application.', bindings: ['admin'] },
] as const;

export function isBuiltInScope(name: string): boolean {
  return BUILT_IN_SCOPES.some((scope) => scope.name === name);
}
