import { z } from 'zod/v4';
import { FIELD_TEXTS } from '@keymint/http-kit';
import { PAGE_PARAMETERS, PageRequest, queryParameter } from '../../common/list-query';
import { APPLICATION_SORT_FIELDS, ApplicationSortField } from './application.dto';

export interface ApplicationListQuery {
  page: PageRequest;
  query?: string;
  owner?: string;
  sortBy: ApplicationSortField;
  sortOrder: 'asc' | 'desc';
}

const LIST_PARAMETERS = {
  ...PAGE_PARAMETERS,
  query: queryParameter.text('query', { max: 100 }).optional().describe('Part of the application name, case-insensitive.'),
  sortBy: queryParameter.oneOf('sortBy', APPLICATION_SORT_FIELDS).default('name'),
  sortOrder: queryParameter.oneOf('sortOrder', ['asc', 'desc']).default('asc'),
};

type ListParameters = z.output<z.ZodObject<typeof LIST_PARAMETERS>>;

function toListQuery({ limit, offset, query, sortBy, sortOrder }: ListParameters, owner?: string): ApplicationListQuery {
  return { page: { limit, offset }, query: query || undefined, owner: owner ? owner.toLowerCase() : undefined, sortBy, sortOrder };
}

/**
 * These four are taken as single values before anything else is read, so a
 * repeated one is the problem reported first (then `user`, `limit`, `offset`, …).
 */
const TEXT_PARAMETERS = ['query', 'user', 'sortBy', 'sortOrder'];

function listQuery<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((query: unknown, context) => {
    const repeated = TEXT_PARAMETERS.find((name) => Array.isArray((query as Record<string, unknown> | undefined)?.[name]));
    if (repeated === undefined) return query;
    context.issues.push({ code: 'custom', message: FIELD_TEXTS.repeated(repeated), input: query });
    return z.NEVER;
  }, z.object(shape));
}

/** `GET /api/am/devportal/v2/applications`: the caller's applications. */
export const DevportalListQuerySchema = listQuery({
  // The Admin API's filter is not read here, but given twice it is refused, as on the Admin API.
  user: queryParameter.once('user', z.string()).optional().describe('Ignored here (the Admin API narrows by owner with it).'),
  ...LIST_PARAMETERS,
}).transform((parameters) => toListQuery(parameters));

/** `GET /api/am/admin/v2/applications`: every owner's, `user` narrowing to one. */
export const AdminListQuerySchema = listQuery({
  user: queryParameter.text('user', { max: 64 }).optional().describe('Only the applications of this owner.'),
  ...LIST_PARAMETERS,
}).transform(({ user, ...parameters }) => toListQuery(parameters, user));
