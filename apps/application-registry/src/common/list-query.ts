import { z } from 'zod/v4';
import { FIELD_TEXTS, queryParameters } from '@keymint/http-kit';

/** The registry's query parameters, worded like its body fields (`'limit' must be between 1 and 100.`). */
export const queryParameter = queryParameters(FIELD_TEXTS);

/** `limit` (default 25, 1..100) and `offset` (default 0) as WSO2's list APIs take them. */
export const PAGE_PARAMETERS = {
  limit: queryParameter.integer('limit', { min: 1, max: 100, default: 25 }).describe('Page size.'),
  offset: queryParameter.integer('offset', { min: 0, max: 1_000_000_000, default: 0 }).describe('Items to skip.'),
};

export interface PageRequest {
  limit: number;
  offset: number;
}

/** WSO2's pagination block: `next`/`previous` are the paths of the neighbouring pages, '' when there is none. */
export const PaginationSchema = z
  .object({
    offset: z.int(),
    limit: z.int(),
    total: z.int(),
    next: z.string().describe('Path of the next page, "" when none.'),
    previous: z.string().describe('Path of the previous page, "" when none.'),
  })
  .meta({ id: 'Pagination' });
export type Pagination = z.infer<typeof PaginationSchema>;

export function pagination(basePath: string, page: PageRequest, total: number, extra: Record<string, string | undefined> = {}): Pagination {
  const link = (offset: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, value);
    params.set('limit', String(page.limit));
    params.set('offset', String(offset));
    return `${basePath}?${params.toString()}`;
  };
  return {
    offset: page.offset,
    limit: page.limit,
    total,
    next: page.offset + page.limit < total ? link(page.offset + page.limit) : '',
    previous: page.offset > 0 ? link(Math.max(0, page.offset - page.limit)) : '',
  };
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (use with ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** `{count, list}`, the shape of the registry's unpaged lists. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ count: z.int(), list: z.array(item) });
}
