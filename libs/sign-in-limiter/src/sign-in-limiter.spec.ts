import { SignInLimiter } from './sign-in-limiter';

const ADDRESS = '192.0.2.7';

describe('SignInLimiter (one instance, counts in memory)', () => {
  let limiter: SignInLimiter;
  beforeEach(() => (limiter = new SignInLimiter(3)));
  afterEach(() => limiter.onModuleDestroy());

  it('refuses a pair past the limit for the rest of its minute, and nobody else', async () => {
    const start = 1_000_000;
    for (let failure = 1; failure <= 3; failure += 1) {
      expect(limiter.waitSeconds('key', ADDRESS, start)).toBe(0);
      expect(await limiter.recordFailure('key', ADDRESS, start)).toBe(0);
    }
    expect(limiter.waitSeconds('key', ADDRESS, start + 10_000)).toBe(50);
    expect(limiter.waitSeconds('key', '192.0.2.8', start)).toBe(0);
    expect(limiter.waitSeconds('other', ADDRESS, start)).toBe(0);
    expect(limiter.waitSeconds('key', ADDRESS, start + 60_000)).toBe(0);
  });

  it('answers a failure counted past the limit with the seconds to wait', async () => {
    for (let failure = 0; failure < 3; failure += 1) await limiter.recordFailure('key', ADDRESS, 0);
    expect(await limiter.recordFailure('key', ADDRESS, 15_000)).toBe(45);
  });

  it('counts an IPv6 client by its /64: a fresh address in the same /64 gets no fresh budget', async () => {
    for (let failure = 0; failure < 3; failure += 1) await limiter.recordFailure('key', `2001:db8:7:7::${failure + 1}`, 0);
    expect(limiter.waitSeconds('key', '2001:db8:7:7:abcd::42', 0)).toBe(60);
    expect(limiter.waitSeconds('key', '2001:db8:7:8::1', 0)).toBe(0);
  });

  it('gives a concurrent burst of reserved attempts no more checks than the limit', async () => {
    const reservations = await Promise.all(Array.from({ length: 20 }, () => limiter.reserve('alice', ADDRESS, 0)));
    expect(reservations.filter((reservation) => !reservation.refused)).toHaveLength(3);
    expect(reservations.filter((reservation) => reservation.refused)).toHaveLength(17);
  });

  it('takes back a reservation whose check succeeded', async () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const reservation = await limiter.reserve('alice', ADDRESS, 0);
      expect(reservation.refused).toBe(false);
      if (!reservation.refused) await reservation.release();
    }
    expect(limiter.waitSeconds('alice', ADDRESS, 0)).toBe(0);
  });
});
