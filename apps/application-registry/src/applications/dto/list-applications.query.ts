import { readEnum, readPage, readString, singleQueryValue } from '../../common/validation';
import type { ApplicationListQuery } from '../applications.service';
import { APPLICATION_SORT_FIELDS } from './application.dto';

/** `query`, `limit`, `offset`, `sortBy`, `sortOrder` (and `user` on the admin API); 400 naming the bad one. */
export function parseApplicationListQuery(query: unknown, options: { allowOwner: boolean }): ApplicationListQuery {
  const raw = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const single = (name: string) => singleQueryValue(raw, name);
  const text = { query: single('query'), user: single('user'), sortBy: single('sortBy'), sortOrder: single('sortOrder') };
  const owner = options.allowOwner ? readString(text, 'user', { max: 64 }) : undefined;
  return {
    page: readPage(raw),
    query: readString(text, 'query', { max: 100 }) || undefined,
    owner: owner ? owner.toLowerCase() : undefined,
    sortBy: readEnum(text, 'sortBy', APPLICATION_SORT_FIELDS, 'name')!,
    sortOrder: readEnum(text, 'sortOrder', ['asc', 'desc'] as const, 'asc')!,
  };
}
