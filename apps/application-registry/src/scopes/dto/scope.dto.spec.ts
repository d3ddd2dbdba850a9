import { parseRequest } from '@keymint/http-kit';
import { descriptionOf } from '../../../test/bad-request';
import { scopeInputSchema } from './scope.dto';

describe('scope input', () => {
  const parseScopeInput = (name: string, body: unknown) => parseRequest(scopeInputSchema(name), body);

  it('defaults to no description and no bindings, and ignores a name that matches the path', () => {
    expect(parseScopeInput('orders:read', {})).toEqual({ description: '', bindings: [] });
    expect(parseScopeInput('orders:read', { name: 'orders:read', description: 'Read', bindings: ['subscriber', 'subscriber'] })).toEqual({
      description: 'Read',
      bindings: ['subscriber'],
    });
  });

  it('names what is wrong, the path-dependent rules included', () => {
    expect(descriptionOf(() => parseScopeInput('ok', { name: 'other' }))).toBe("'name' in the body must match the scope name in the path.");
    expect(descriptionOf(() => parseScopeInput('ok', { bindings: ['root'] }))).toBe("'bindings' holds unknown role 'root'; roles are admin, subscriber.");
    expect(descriptionOf(() => parseScopeInput('apim:admin', { bindings: ['subscriber'] }))).toBe("'bindings' of the built-in scope 'apim:admin' must include admin.");
    expect(descriptionOf(() => parseScopeInput('ok', { description: 'd'.repeat(513) }))).toBe("'description' must be at most 512 characters long.");
  });
});
