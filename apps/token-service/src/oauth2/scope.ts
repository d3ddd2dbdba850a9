import { ScopeDefinition } from '@keymint/contracts';

export const DEFAULT_SCOPE = 'default';
export const APPLICATION_SCOPE = 'am_application_scope';

/** The requested scope tokens, each once, from a `scope` its schema has checked (http-schemas.ts); absent or blank means none. */
export function requestedScopes(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return [...new Set(scope.split(' ').filter((token) => token.length > 0))];
}

/**
 * Granted scopes (docs/token-api.md, "Scopes"): requested ∩ key scopes, and for user grants only scopes bound
 * to one of the user's roles or bound to none (a scope with no role bindings is open to every user, as in WSO2);
 * what is not granted is dropped (WSO2), an empty result is `default`; client_credentials always adds
 * am_application_scope. The refresh grant decides again with this, from the key's current scopes.
 */
export function grantScopes(
  requested: string[],
  keyScopes: ScopeDefinition[],
  subject: { kind: 'application' } | { kind: 'user'; roles: string[] },
): string[] {
  const allowed = new Map(keyScopes.map((scope) => [scope.name, scope]));
  const granted = new Set<string>();
  for (const name of requested) {
    const definition = allowed.get(name);
    if (!definition) continue;
    if (subject.kind === 'user' && definition.bindings.length > 0 && !definition.bindings.some((role) => subject.roles.includes(role))) continue;
    granted.add(name);
  }
  if (subject.kind === 'application') {
    granted.delete(APPLICATION_SCOPE);
    if (granted.size === 0) granted.add(DEFAULT_SCOPE);
    granted.add(APPLICATION_SCOPE);
  } else if (granted.size === 0) {
    granted.add(DEFAULT_SCOPE);
  }
  return [...granted].sort();
}
