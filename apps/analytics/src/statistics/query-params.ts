import { BadRequestException } from '@nestjs/common';
import { errorBody } from '@keymint/http-kit';
import { DAY_MS } from '../time-buckets/time-buckets';

export type Query = Record<string, string | string[] | undefined>;

export const MAX_LIMIT = 1000;

/** 400 in the REST style, naming the parameter. */
export function badParameter(name: string, problem: string): BadRequestException {
  return new BadRequestException(errorBody('wso2', 400, `Invalid parameter '${name}': ${problem}.`));
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw badParameter(name, 'it must be given once');
  return value;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** ISO 8601 date or date-time; no zone means UTC. Impossible dates (Feb 30, 25:00) are rejected. */
export function parseIsoTime(value: string): number | null {
  const match = ISO_8601.exec(value);
  if (!match) return null;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match;
  const numbers = [year, month, day, hour, minute, second].map(Number);
  const utc = Date.UTC(numbers[0], numbers[1] - 1, numbers[2], numbers[3], numbers[4], numbers[5]);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== numbers[0] ||
    check.getUTCMonth() !== numbers[1] - 1 ||
    check.getUTCDate() !== numbers[2] ||
    check.getUTCHours() !== numbers[3] ||
    check.getUTCMinutes() !== numbers[4] ||
    check.getUTCSeconds() !== numbers[5]
  ) {
    return null;
  }
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [zoneHours, zoneMinutes] = zone.slice(1).split(':').map(Number);
    if (zoneHours > 23 || zoneMinutes > 59) return null;
    offsetMinutes = sign * (zoneHours * 60 + zoneMinutes);
  }
  const milliseconds = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  return utc + milliseconds - offsetMinutes * 60_000;
}

export interface TimeRange {
  from: number;
  to: number;
}

/** `from` and `to`, default the last 24 hours ending now; `from` ≤ `to`. */
export function parseTimeRange(query: Query, now = Date.now()): TimeRange {
  const times: Partial<TimeRange> = {};
  for (const name of ['from', 'to'] as const) {
    const raw = single(query, name);
    if (raw === undefined) continue;
    const parsed = parseIsoTime(raw);
    if (parsed === null) throw badParameter(name, 'expected an ISO 8601 time such as 2026-01-31T23:59:00Z');
    times[name] = parsed;
  }
  const to = times.to ?? (times.from !== undefined && times.from > now ? times.from + DAY_MS : now);
  const from = times.from ?? to - DAY_MS;
  if (from > to) throw badParameter('from', "it must not be after 'to'");
  return { from, to };
}

export function parseEnum<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined;
export function parseEnum<T extends string>(query: Query, name: string, allowed: readonly T[], fallback: T): T;
export function parseEnum<T extends string>(query: Query, name: string, allowed: readonly T[], fallback?: T): T | undefined {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw badParameter(name, `expected one of ${allowed.join(', ')}`);
  return raw as T;
}

function parseInteger(query: Query, name: string, min: number, max: number, fallback: number): number {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badParameter(name, max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}` : `expected an integer from ${min} to ${max}`);
  }
  return value;
}

export interface Page {
  limit: number;
  offset: number;
}

export function parsePage(query: Query, defaultLimit = 25): Page {
  return {
    limit: parseInteger(query, 'limit', 1, MAX_LIMIT, defaultLimit),
    offset: parseInteger(query, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

export function parseLimit(query: Query, defaultLimit: number): number {
  return parseInteger(query, 'limit', 1, MAX_LIMIT, defaultLimit);
}

export function parseText(query: Query, name: string, maxLength: number): string | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  if (raw.length === 0 || raw.length > maxLength) throw badParameter(name, `expected 1 to ${maxLength} characters`);
  return raw;
}
