import { ScopeDefinition } from '@keymint/contracts';
import { OAuth2Error } from './oauth2-error';

export const DEFAULT_SCOPE = 'default';
export const APPLICATION_SCOPE = 'am_application_scope';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The requested scope tokens; absent or blank means none requested. */
export function parseScopeParameter(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const tokens = scope.split(' ').filter((token) => token.length > 0);
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw OAuth2Error.invalidScope('Each scope must be an RFC 6749 scope-token.');
  }
  return [...new Set(tokens)];
}

/**
 * Granted scopes (docs/token-api.md, "Scopes"): requested ∩ key scopes, and for user grants only scopes bound
 * to one of the user's roles; what is not granted is dropped (WSO2), an empty
 * result is `default`; client_credentials always adds am_application_scope.
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
    if (subject.kind === 'user' && !definition.bindings.some((role) => subject.roles.includes(role))) continue;
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
