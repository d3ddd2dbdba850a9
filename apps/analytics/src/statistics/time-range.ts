import { floorTo, MINUTE_MS, Resolution, RESOLUTION_MS } from '../time-buckets/time-buckets';

/** A half-open span [start, end) of buckets of one resolution. */
export interface BucketSpan {
  resolution: Resolution;
  start: number;
  end: number;
}

/**
 * Covers [from, to] with as few rollup rows as possible: whole days from the
 * daily table, whole hours from the hourly one, the minute edges from the
 * minute table. Resolution is one minute: the minute containing `from` is
 * included, and so is the minute containing `to` unless `to` is its first instant.
 */
export function coverRange(from: number, to: number): BucketSpan[] {
  const start = floorTo(from, MINUTE_MS);
  const end = Math.max(start, Math.ceil(to / MINUTE_MS) * MINUTE_MS);
  return cover(start, end, ['day', 'hour', 'minute']);
}

function cover(start: number, end: number, resolutions: Resolution[]): BucketSpan[] {
  if (start >= end || resolutions.length === 0) return [];
  const [resolution, ...finer] = resolutions;
  const size = RESOLUTION_MS[resolution];
  const alignedStart = Math.ceil(start / size) * size;
  const alignedEnd = floorTo(end, size);
  if (finer.length === 0 || alignedStart >= alignedEnd) {
    return finer.length === 0 ? [{ resolution, start, end }] : cover(start, end, finer);
  }
  return [...cover(start, alignedStart, finer), { resolution, start: alignedStart, end: alignedEnd }, ...cover(alignedEnd, end, finer)];
}
