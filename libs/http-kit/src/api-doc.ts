import { SetMetadata } from '@nestjs/common';
import { z } from 'zod/v4';
import { WWW_AUTHENTICATE } from './auth';

export const API_DOC = 'keymint:api-doc';

/** A body: a schema (sent as application/json) or schemas by media type. */
export type BodyDoc = z.ZodType | Record<string, z.ZodType>;

export interface HeaderDoc {
  description: string;
  /** Default: a string. */
  schema?: z.ZodType;
}

export interface ResponseDoc {
  description: string;
  body?: BodyDoc;
  headers?: Record<string, HeaderDoc>;
}

export type SecurityRequirement = Record<string, string[]>;

/**
 * What the OpenAPI document says about one handler. Paths, methods and path
 * parameters come from Nest's route metadata; `query` (a `z.object` of
 * query parameters) and `body` are the schemas the handler parses its input with.
 */
export interface OperationDoc {
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: BodyDoc;
  responses: Record<number, ResponseDoc>;
  /** Instead of the document's default; `[]`: no authentication. */
  security?: SecurityRequirement[];
}

export const ApiDoc = (doc: OperationDoc) => SetMetadata(API_DOC, doc);

/** WSO2's error body, the REST APIs' (`errorBody('wso2', …)`). */
export const Wso2ErrorSchema = z
  .object({
    code: z.int().describe('The HTTP status.'),
    message: z.string().describe('Its reason phrase.'),
    description: z.string().describe('What was wrong; a bad field or parameter is named.'),
  })
  .meta({ id: 'Error' });

export function wso2Error(description: string, headers?: Record<string, HeaderDoc>): ResponseDoc {
  return { description, body: Wso2ErrorSchema, ...(headers ? { headers } : {}) };
}

/** How `AccessGuard` lets callers in: HTTP Basic or a Bearer token (docs/registry.md, docs/analytics.md). */
export const ACCESS_GUARD_SECURITY = {
  schemes: { basicAuth: { type: 'http', scheme: 'basic' }, bearerAuth: { type: 'http', scheme: 'bearer' } },
  requirement: [{ basicAuth: [] }, { bearerAuth: [] }] as SecurityRequirement[],
  responses: {
    401: wso2Error('Missing or invalid credentials.', { 'WWW-Authenticate': { description: `Always \`${WWW_AUTHENTICATE}\`.` } }),
    403: wso2Error('The caller lacks the role or scope.'),
  } as Record<number, ResponseDoc>,
};
