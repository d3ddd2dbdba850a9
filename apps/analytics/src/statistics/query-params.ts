import { z } from 'zod/v4';
import { COUNTED_CLIENT_AUTH_METHODS, GRANT_TYPES, GRANULARITIES, KEY_TYPES, TOKEN_BINDINGS } from '@keymint/contracts';
import { PARAMETER_TEXTS, queryParameters } from '@keymint/http-kit';
import { DAY_MS } from '../time-buckets/time-buckets';

/**
 * The statistics API's query parameters, one schema per endpoint: each
 * validates a request (400 `Invalid parameter 'x': …`, docs/analytics.md)
 * and is its query in the OpenAPI document. Unknown parameters are ignored.
 */

export const MAX_LIMIT = 1000;

const parameter = queryParameters(PARAMETER_TEXTS);

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

export interface Page {
  limit: number;
  offset: number;
}

/** The range asked for: default the last 24 hours ending `now`; only `from`: until now (or a day, if it is later); only `to`: the day before. */
export function resolveTimeRange(times: Partial<TimeRange>, now: number): TimeRange {
  const to = times.to ?? (times.from !== undefined && times.from > now ? times.from + DAY_MS : now);
  return { from: times.from ?? to - DAY_MS, to };
}

const isoTime = (name: string) =>
  parameter
    .once(
      name,
      z.string().transform((text, context) => {
        const time = parseIsoTime(text);
        if (time !== null) return time;
        context.issues.push({ code: 'custom', message: PARAMETER_TEXTS.invalid(name, 'expected an ISO 8601 time such as 2026-01-31T23:59:00Z'), input: text });
        return z.NEVER;
      }),
    )
    .optional();

/** `from` and `to` (their problems come before those of any other parameter); `from` ≤ `to`. */
const TIME_RANGE = z
  .object({
    from: isoTime('from').describe('ISO 8601 date or date-time, UTC when it has no zone. Default: 24 hours before `to`.'),
    to: isoTime('to').describe('ISO 8601 date or date-time, UTC when it has no zone. Default: now.'),
  })
  .transform((times, context) => {
    const range = resolveTimeRange(times, Date.now());
    if (range.from <= range.to) return { range };
    context.issues.push({ code: 'custom', message: PARAMETER_TEXTS.invalid('from', "it must not be after 'to'"), input: times });
    return z.NEVER;
  });

const limit = (fallback: number) => parameter.integer('limit', { min: 1, max: MAX_LIMIT, default: fallback, digitsOnly: true });

const page = (defaultLimit: number) => ({
  limit: limit(defaultLimit),
  offset: parameter.integer('offset', { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, digitsOnly: true }),
});

export const SummaryQuery = TIME_RANGE;

export const TokenIssuanceQuery = z
  .intersection(
    TIME_RANGE,
    z.object({
      granularity: parameter.oneOf('granularity', GRANULARITIES).default('hour').describe('Bucket size.'),
      applicationId: parameter
        .once('applicationId', z.string().min(1, PARAMETER_TEXTS.length('applicationId', 1, 100)).max(100, PARAMETER_TEXTS.length('applicationId', 1, 100)))
        .optional(),
      grantType: parameter.oneOf('grantType', GRANT_TYPES).optional(),
      keyType: parameter.oneOf('keyType', KEY_TYPES).optional(),
      clientAuthMethod: parameter
        .oneOf('clientAuthMethod', COUNTED_CLIENT_AUTH_METHODS)
        .optional()
        .describe('Only tokens whose clients authenticated this way (`unknown`: counted before the method was recorded).'),
      tokenBinding: parameter.oneOf('tokenBinding', TOKEN_BINDINGS).optional().describe('Only bearer, DPoP-bound or certificate-bound (mtls) tokens.'),
      ...page(1000),
    }),
  )
  .transform(({ range, granularity, applicationId, grantType, keyType, clientAuthMethod, tokenBinding, limit, offset }) => ({
    range,
    filter: { granularity, applicationId, grantType, keyType, clientAuthMethod, tokenBinding },
    page: { limit, offset },
  }));

export const RegisteredUsersQuery = z.intersection(TIME_RANGE, z.object(page(25))).transform(({ range, limit, offset }) => ({ range, page: { limit, offset } }));

export const ApplicationUsersQuery = z.object(page(25));

export const TopUsersQuery = z.object({ limit: limit(10).describe('Users per application.') });
