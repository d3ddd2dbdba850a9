import { CredentialCache } from './credential-cache';

describe('CredentialCache', () => {
  it('remembers a successful check until it expires or the user changes', () => {
    let now = 1_000;
    const cache = new CredentialCache(30_000, 100, () => now);
    cache.set('Alice', 'secret-1', 'alice', ['subscriber']);
    expect(cache.get('Alice', 'secret-1')).toEqual({ username: 'alice', roles: ['subscriber'] });
    expect(cache.get('Alice', 'secret-2')).toBeNull();
    now += 30_001;
    expect(cache.get('Alice', 'secret-1')).toBeNull();
    cache.set('Alice', 'secret-1', 'alice', ['subscriber']);
    cache.forget('alice');
    expect(cache.get('Alice', 'secret-1')).toBeNull();
  });

  it('drops the oldest entry when full', () => {
    const cache = new CredentialCache(30_000, 2);
    cache.set('a', 'p', 'a', []);
    cache.set('b', 'p', 'b', []);
    cache.set('c', 'p', 'c', []);
    expect(cache.get('a', 'p')).toBeNull();
    expect(cache.get('c', 'p')).toEqual({ username: 'c', roles: [] });
  });
});
