import { BadRequestException } from '@nestjs/common';
import { DAY_MS } from '../time-buckets/time-buckets';
import { GRANULARITIES } from '@keymint/contracts';
import { parseEnum, parseIsoTime, parseLimit, parsePage, parseText, parseTimeRange, Query } from './query-params';

function describeError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).getResponse();
  }
  throw new Error('expected a 400');
}

describe('parseIsoTime', () => {
  it.each([
    ['2026-11-25', Date.UTC(2026, 10, 25)],
    ['2026-11-25T10:15', Date.UTC(2026, 10, 25, 10, 15)],
    ['2026-11-25T10:15:30Z', Date.UTC(2026, 10, 25, 10, 15, 30)],
    ['2026-11-25T10:15:30.25Z', Date.UTC(2026, 10, 25, 10, 15, 30, 250)],
    ['2026-11-25T12:15:30+02:00', Date.UTC(2026, 10, 25, 10, 15, 30)],
    ['2026-11-25T05:45:30-04:30', Date.UTC(2026, 10, 25, 10, 15, 30)],
  ])('reads %s as UTC', (text, expected) => {
    expect(parseIsoTime(text)).toBe(expected);
  });

  it.each(['yesterday', '2026-02-30', '2026-13-01', '2026-11-25T24:00:00Z', '2026-11-25 10:00', '1700000000000', '2026-11-25T10:00:00+25:00', ''])(
    'rejects %p',
    (text) => {
      expect(parseIsoTime(text)).toBeNull();
    },
  );
});

describe('parseTimeRange', () => {
  const now = Date.UTC(2026, 10, 25, 12);

  it('defaults to the last 24 hours', () => {
    expect(parseTimeRange({}, now)).toEqual({ from: now - DAY_MS, to: now });
  });

  it('defaults the missing end around the given one', () => {
    expect(parseTimeRange({ to: '2026-11-20T00:00:00Z' }, now)).toEqual({ from: Date.UTC(2026, 10, 19), to: Date.UTC(2026, 10, 20) });
    expect(parseTimeRange({ from: '2026-11-20T00:00:00Z' }, now)).toEqual({ from: Date.UTC(2026, 10, 20), to: now });
  });

  it('accepts from equal to to', () => {
    expect(parseTimeRange({ from: '2026-11-20', to: '2026-11-20' }, now)).toEqual({ from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 10, 20) });
  });

  it.each<[Query, string]>([
    [{ from: 'nope' }, "'from'"],
    [{ to: '2026-02-30' }, "'to'"],
    [{ from: '2026-11-21', to: '2026-11-20' }, "'from': it must not be after 'to'"],
    [{ from: ['2026-11-20', '2026-11-21'] }, "'from': it must be given once"],
  ])('answers %p with a 400 naming the parameter', (query, fragment) => {
    expect(describeError(() => parseTimeRange(query, now))).toEqual({
      code: 400,
      message: 'Bad Request',
      description: expect.stringContaining(fragment),
    });
  });
});

describe('page, enum and text parameters', () => {
  it('defaults and bounds limit and offset', () => {
    expect(parsePage({})).toEqual({ limit: 25, offset: 0 });
    expect(parsePage({ limit: '1000', offset: '40' })).toEqual({ limit: 1000, offset: 40 });
    expect(parseLimit({}, 10)).toBe(10);
    for (const query of [{ limit: '0' }, { limit: '1001' }, { limit: '2.5' }, { limit: '' }, { limit: '-1' }]) {
      expect(describeError(() => parsePage(query))).toMatchObject({ description: expect.stringContaining("'limit'") });
    }
    for (const query of [{ offset: '-1' }, { offset: 'x' }, { offset: '99999999999' }]) {
      expect(describeError(() => parsePage(query))).toMatchObject({ description: expect.stringContaining("'offset'") });
    }
  });

  it('checks enums exactly (case matters) and falls back when absent', () => {
    expect(parseEnum({}, 'granularity', GRANULARITIES, 'hour')).toBe('hour');
    expect(parseEnum({ granularity: 'day' }, 'granularity', GRANULARITIES, 'hour')).toBe('day');
    expect(describeError(() => parseEnum({ granularity: 'Day' }, 'granularity', GRANULARITIES))).toMatchObject({
      description: "Invalid parameter 'granularity': expected one of minute, hour, day.",
    });
  });

  it('bounds free text', () => {
    expect(parseText({ applicationId: 'abc' }, 'applicationId', 5)).toBe('abc');
    expect(parseText({}, 'applicationId', 5)).toBeUndefined();
    expect(describeError(() => parseText({ applicationId: '' }, 'applicationId', 5))).toMatchObject({
      description: expect.stringContaining("'applicationId'"),
    });
  });
});
