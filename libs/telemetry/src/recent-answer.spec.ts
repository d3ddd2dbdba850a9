import { recentAnswer } from './recent-answer';

describe('recentAnswer', () => {
  it('asks once for all callers within the period, in flight or answered, and again after it', async () => {
    let clock = 0;
    let asked = 0;
    const shared = recentAnswer(async () => ++asked, 1000, () => clock);
    expect(await Promise.all(Array.from({ length: 100 }, () => shared()))).toEqual(Array(100).fill(1));
    clock = 999;
    expect(await shared()).toBe(1);
    clock = 1000;
    expect(await shared()).toBe(2);
    expect(asked).toBe(2);
  });
});
