import { ScopeDefinition } from '@keymint/contracts';
import { OAuth2Error } from './oauth2-error';
import { ClientCredentialsRequestSchema } from './http-schemas';
import { readParameters } from './request-parameters';
import { grantScopes, requestedScopes } from './scope';

const parseScopeParameter = (scope: string | undefined) =>
  requestedScopes(readParameters(ClientCredentialsRequestSchema, { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) }).scope);

const keyScopes: ScopeDefinition[] = [
  { name: 'read', bindings: ['subscriber', 'admin'] },
  { name: 'manage', bindings: ['admin'] },
  { name: 'unbound', bindings: [] },
];

describe('scope', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['read  manage', ['read', 'manage']],
    ['read read', ['read']],
    ['a:b/c!#$%&()*+,-.', ['a:b/c!#$%&()*+,-.']],
  ])('parses %p', (input, expected) => {
    expect(parseScopeParameter(input)).toEqual(expected);
  });

  it.each(['bad"quote', 'back\\slash', 'tab\tsep', 'ünicode', 'ctl\u0001'])('rejects %p with invalid_scope', (input) => {
    expect(() => parseScopeParameter(input)).toThrow(OAuth2Error);
    try {
      parseScopeParameter(input);
    } catch (error) {
      expect((error as OAuth2Error).code).toBe('invalid_scope');
      expect((error as OAuth2Error).getStatus()).toBe(400);
    }
  });

  it.each<[string[], string[]]>([
    [[], ['am_application_scope', 'default']],
    [['read', 'nope'], ['am_application_scope', 'read']],
    [['unbound', 'manage'], ['am_application_scope', 'manage', 'unbound']],
    [['am_application_scope'], ['am_application_scope', 'default']],
  ])('client_credentials: %p → %p', (requested, granted) => {
    expect(grantScopes(requested, keyScopes, { kind: 'application' })).toEqual(granted);
  });

  it.each<[string[], string[], string[]]>([
    [['read', 'manage'], ['subscriber'], ['read']],
    [['read', 'manage'], ['admin'], ['manage', 'read']],
    // A scope bound to no role is open to every user, an end user (no role) included.
    [['unbound'], ['admin'], ['unbound']],
    [['unbound', 'manage'], [], ['unbound']],
    [['read'], [], ['default']],
    [[], ['admin'], ['default']],
  ])('user grant: %p with roles %p → %p', (requested, roles, granted) => {
    expect(grantScopes(requested, keyScopes, { kind: 'user', roles })).toEqual(granted);
  });
});
