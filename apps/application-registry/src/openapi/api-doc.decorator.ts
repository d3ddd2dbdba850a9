import { SetMetadata } from '@nestjs/common';

export const API_DOC = 'keymint:api-doc';

export interface QueryParameterDoc {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** What the OpenAPI document says about one handler; paths, methods and path parameters come from Nest's own metadata. */
export interface OperationDoc {
  summary: string;
  /** Name of a schema in components.schemas for the JSON body. */
  body?: string;
  query?: QueryParameterDoc[];
  /** status -> [description, schema name or undefined] */
  responses: Record<number, [string, string?]>;
}

export const ApiDoc = (doc: OperationDoc) => SetMetadata(API_DOC, doc);

export const PAGE_QUERY: QueryParameterDoc[] = [
  { name: 'limit', description: 'Page size, 1-100 (default 25).', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
  { name: 'offset', description: 'Items to skip (default 0).', schema: { type: 'integer', minimum: 0, default: 0 } },
];

export const APPLICATION_LIST_QUERY: QueryParameterDoc[] = [
  { name: 'query', description: 'Part of the application name, case-insensitive.', schema: { type: 'string', maxLength: 100 } },
  ...PAGE_QUERY,
  { name: 'sortBy', description: 'Sort field.', schema: { type: 'string', enum: ['name', 'throttlingPolicy', 'status'], default: 'name' } },
  { name: 'sortOrder', description: 'Sort direction.', schema: { type: 'string', enum: ['asc', 'desc'], default: 'asc' } },
];
