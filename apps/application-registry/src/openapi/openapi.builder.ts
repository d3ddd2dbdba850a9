import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { API_DOC, OperationDoc } from './api-doc.decorator';
import { SCHEMAS } from './schemas';

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Malformed request; the description names the field.',
  401: 'Missing or invalid credentials (WWW-Authenticate: Basic realm="keymint").',
  403: 'The caller lacks the role or scope.',
};

/**
 * An OpenAPI 3.0 document built from the controllers themselves: paths and
 * methods from Nest's route metadata, summaries and schemas from `@ApiDoc`.
 */
export function buildOpenApiDocument(options: { title: string; basePath: string; controllers: Type[] }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const controller of options.controllers) {
    const controllerPath = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const doc = Reflect.getMetadata(API_DOC, handler) as OperationDoc | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (!doc || method === undefined) continue;
      const full = `/${[controllerPath, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')].filter((part) => part && part !== '/').join('/')}`
        .replace(/\/+/g, '/')
        .replace(/:(\w+)/g, '{$1}');
      if (!full.startsWith(options.basePath)) continue;
      const relative = full.slice(options.basePath.length) || '/';
      paths[relative] ??= {};
      paths[relative][RequestMethod[method].toLowerCase()] = operation(doc, relative);
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: options.title, version: 'v2' },
    servers: [{ url: options.basePath }],
    security: [{ basicAuth: [] }, { bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' }, bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: SCHEMAS,
    },
  };
}

function operation(doc: OperationDoc, path: string): Record<string, unknown> {
  const pathParameters = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
  const queryParameters = (doc.query ?? []).map((parameter) => ({ ...parameter, in: 'query', required: false }));
  const responses: Record<string, unknown> = {};
  for (const [status, [description, schema]] of Object.entries(doc.responses)) {
    responses[status] = schema ? { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } } : { description };
  }
  for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
    responses[status] ??= { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    summary: doc.summary,
    ...(pathParameters.length + queryParameters.length > 0 ? { parameters: [...pathParameters, ...queryParameters] } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${doc.body}` } } } } } : {}),
    responses,
  };
}
