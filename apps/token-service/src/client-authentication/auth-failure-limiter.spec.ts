import { AuthFailureLimiter } from './auth-failure-limiter';

describe('AuthFailureLimiter', () => {
  it('blocks a pair after the limit for the rest of the minute, and nobody else', () => {
    const limiter = new AuthFailureLimiter({ AUTH_FAILURE_LIMIT: 3 });
    const start = 1_000_000;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(limiter.blockedFor('client', 'key', '1.2.3.4', start)).toBe(0);
      limiter.recordFailure('client', 'key', '1.2.3.4', start);
    }
    expect(limiter.blockedFor('client', 'key', '1.2.3.4', start + 10_000)).toBe(50);
    expect(limiter.blockedFor('client', 'key', '5.6.7.8', start)).toBe(0);
    expect(limiter.blockedFor('client', 'other', '1.2.3.4', start)).toBe(0);
    expect(limiter.blockedFor('user', 'key', '1.2.3.4', start)).toBe(0);
    expect(limiter.blockedFor('client', 'key', '1.2.3.4', start + 60_000)).toBe(0);
    limiter.sweep(start + 60_000);
    expect(limiter.size).toBe(0);
    limiter.onModuleDestroy();
  });
});
