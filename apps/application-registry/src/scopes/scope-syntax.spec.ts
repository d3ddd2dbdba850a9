import { isScopeToken } from './scope-syntax';

describe('RFC 6749 scope-token syntax', () => {
  it.each(['apim:subscribe', 'read', 'a/b!#$[]~', 'x'.repeat(255)])('accepts %s', (name) => {
    expect(isScopeToken(name)).toBe(true);
  });

  it.each(['', 'two words', 'quote"', 'back\\slash', 'tab\t', 'ümlaut', 'x'.repeat(256)])('rejects %j', (name) => {
    expect(isScopeToken(name)).toBe(false);
  });
});
