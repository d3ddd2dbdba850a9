import { BadRequestException } from '@nestjs/common';
import { parseRequest } from '@keymint/http-kit';
import { DAY_MS } from '../time-buckets/time-buckets';
import { ApplicationUsersQuery, parseIsoTime, SummaryQuery, TokenIssuanceQuery, TopUsersQuery } from './query-params';

type Query = Record<string, string | string[] | undefined>;

/** What the endpoints read: the time range at `now`, a page, the top-users limit, the token-issuance filters. */
function parseTimeRange(query: Query, now: number) {
  jest.spyOn(Date, 'now').mockReturnValue(now);
  try {
    return parseRequest(SummaryQuery, query).range;
  } finally {
    jest.restoreAllMocks();
  }
}
const parsePage = (query: Query) => parseRequest(ApplicationUsersQuery, query);
const parseLimit = (query: Query) => parseRequest(TopUsersQuery, query).limit;
const parseFilter = (query: Query) => parseRequest(TokenIssuanceQuery, query).filter;
const parseIssuancePage = (query: Query) => parseRequest(TokenIssuanceQuery, query).page;

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
    expect(parseLimit({})).toBe(10);
    expect(parseIssuancePage({})).toEqual({ limit: 1000, offset: 0 });
    for (const query of [{ limit: '0' }, { limit: '1001' }, { limit: '2.5' }, { limit: '' }, { limit: '-1' }]) {
      expect(describeError(() => parsePage(query))).toMatchObject({ description: expect.stringContaining("'limit'") });
    }
    for (const query of [{ offset: '-1' }, { offset: 'x' }, { offset: '99999999999' }]) {
      expect(describeError(() => parsePage(query))).toMatchObject({ description: expect.stringContaining("'offset'") });
    }
    expect(describeError(() => parsePage({ limit: '0' }))).toMatchObject({ description: "Invalid parameter 'limit': expected an integer from 1 to 1000." });
    expect(describeError(() => parsePage({ offset: 'x' }))).toMatchObject({ description: "Invalid parameter 'offset': expected an integer ≥ 0." });
  });

  it('checks enums exactly (case matters) and falls back when absent', () => {
    expect(parseFilter({}).granularity).toBe('hour');
    expect(parseFilter({ granularity: 'day' }).granularity).toBe('day');
    expect(describeError(() => parseFilter({ granularity: 'Day' }))).toMatchObject({
      description: "Invalid parameter 'granularity': expected one of minute, hour, day.",
    });
  });

  it('bounds free text', () => {
    expect(parseFilter({ applicationId: 'abc' }).applicationId).toBe('abc');
    expect(parseFilter({}).applicationId).toBeUndefined();
    expect(describeError(() => parseFilter({ applicationId: '' }))).toMatchObject({
      description: "Invalid parameter 'applicationId': expected 1 to 100 characters.",
    });
    expect(describeError(() => parseFilter({ applicationId: 'x'.repeat(101) }))).toMatchObject({ description: expect.stringContaining("'applicationId'") });
  });

  it('reports problems of the time range before those of the other parameters', () => {
    expect(describeError(() => parseFilter({ granularity: 'week', from: '2026-11-21', to: '2026-11-20' }))).toMatchObject({
      description: "Invalid parameter 'from': it must not be after 'to'.",
    });
  });
});
