import { Granularity, GRANULARITIES } from '@keymint/contracts';

/**
 * The time buckets of the rollups: ingestion adds each event to the bucket of
 * every resolution that holds it, the statistics read ranges back from the
 * same buckets. Times are epoch milliseconds, UTC.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The API's granularities are the rollups' resolutions: a series is read from the table of its granularity. */
export type Resolution = Granularity;
export const RESOLUTIONS: readonly Resolution[] = GRANULARITIES;
export const RESOLUTION_MS: Record<Resolution, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

/** The start of the bucket of `size` milliseconds that holds `time`. */
export function floorTo(time: number, size: number): number {
  return Math.floor(time / size) * size;
}
