import { hasAccess, parseAuthorization } from './auth';

const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('parseAuthorization', () => {
  it('reads Basic credentials with any scheme case and a colon in the password', () => {
    expect(parseAuthorization(basic('alice:pa:ss'))).toEqual({ scheme: 'basic', username: 'alice', password: 'pa:ss' });
    expect(parseAuthorization(basic('alice:x').replace('Basic', 'bAsIc'))).toEqual({ scheme: 'basic', username: 'alice', password: 'x' });
  });

  it('reads Bearer tokens', () => {
    expect(parseAuthorization('Bearer abc.def')).toEqual({ scheme: 'bearer', token: 'abc.def' });
  });

  it('returns null for anything else', () => {
    for (const header of [undefined, '', 'Basic', 'Digest abc', basic('no-colon'), 'Bearer a b']) {
      expect(parseAuthorization(header)).toBeNull();
    }
  });
});

describe('hasAccess', () => {
  const user = (roles: string[]) => ({ username: 'u', roles, scopes: [], via: 'basic' as const });
  const token = (scopes: string[]) => ({ username: 'u', roles: [], scopes, via: 'bearer' as const });

  it('gives the devportal to subscribers and admins, the admin APIs to admins only', () => {
    expect(hasAccess(user(['subscriber']), 'devportal')).toBe(true);
    expect(hasAccess(user(['subscriber']), 'admin')).toBe(false);
    expect(hasAccess(user(['admin']), 'admin')).toBe(true);
    expect(hasAccess(user([]), 'devportal')).toBe(false);
  });

  it('judges Bearer tokens by their scopes', () => {
    expect(hasAccess(token(['apim:subscribe']), 'devportal')).toBe(true);
    expect(hasAccess(token(['apim:subscribe']), 'admin')).toBe(false);
    expect(hasAccess(token(['apim:admin']), 'admin')).toBe(true);
    expect(hasAccess(token(['default']), 'devportal')).toBe(false);
  });
});
