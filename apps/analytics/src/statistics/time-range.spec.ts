import { DAY_MS, HOUR_MS, MINUTE_MS } from '../time-buckets/time-buckets';
import { coverRange } from './time-range';

const D = Date.UTC(2026, 10, 1);

describe('coverRange', () => {
  it('reads whole days from the daily rollup and the edges from finer ones', () => {
    const from = D + 22 * HOUR_MS + 30 * MINUTE_MS + 15_000;
    const to = D + 3 * DAY_MS + 1 * HOUR_MS + 5 * MINUTE_MS + 1;
    expect(coverRange(from, to)).toEqual([
      { resolution: 'minute', start: D + 22 * HOUR_MS + 30 * MINUTE_MS, end: D + 23 * HOUR_MS },
      { resolution: 'hour', start: D + 23 * HOUR_MS, end: D + DAY_MS },
      { resolution: 'day', start: D + DAY_MS, end: D + 3 * DAY_MS },
      { resolution: 'hour', start: D + 3 * DAY_MS, end: D + 3 * DAY_MS + HOUR_MS },
      { resolution: 'minute', start: D + 3 * DAY_MS + HOUR_MS, end: D + 3 * DAY_MS + HOUR_MS + 6 * MINUTE_MS },
    ]);
  });

  it('covers the minute of from and of to, but not the minute starting exactly at to', () => {
    expect(coverRange(D + 10_000, D + 10_000)).toEqual([{ resolution: 'minute', start: D, end: D + MINUTE_MS }]);
    expect(coverRange(D, D + 2 * MINUTE_MS)).toEqual([{ resolution: 'minute', start: D, end: D + 2 * MINUTE_MS }]);
    expect(coverRange(D, D)).toEqual([]);
  });

  it('covers every minute once, without gaps or overlaps', () => {
    const from = D + 13 * MINUTE_MS;
    const to = D + 9 * DAY_MS + 7 * HOUR_MS;
    const spans = coverRange(from, to);
    for (let index = 1; index < spans.length; index += 1) expect(spans[index].start).toBe(spans[index - 1].end);
    expect(spans[0].start).toBe(from);
    expect(spans.at(-1)!.end).toBe(to);
    expect(spans.length).toBeLessThanOrEqual(5);
  });
});
