import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { z } from 'zod/v4';
import { API_DOC, BodyDoc, HeaderDoc, OperationDoc, ResponseDoc, SecurityRequirement } from './api-doc';
import { JsonSchema, SchemaComponents } from './json-schema';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  /** Only the routes under this path, written relative to it (it is the server URL). */
  basePath?: string;
  controllers: Type[];
  /**
   * Docs of handlers that carry no `@ApiDoc`, by handler
   * (`SomeController.prototype.method`); each must be a route of `controllers`.
   */
  operations?: ReadonlyMap<unknown, OperationDoc>;
  securitySchemes?: Record<string, JsonSchema>;
  /** Every operation's, unless it says otherwise. */
  security?: SecurityRequirement[];
  /** Responses any operation may give, unless it describes that status itself (components.responses, by status). */
  commonResponses?: Record<number, ResponseDoc>;
}

/** One handler of a controller with every path it answers (`/a/:id`, Nest's syntax). */
export interface Route {
  handler: unknown;
  method: string;
  paths: string[];
}

/** The routes Nest registers for `controllers`, read from the same metadata Nest reads. */
export function routesOf(controllers: Type[]): Route[] {
  return controllers.flatMap((controller) => {
    const prefixes = pathList(Reflect.getMetadata(PATH_METADATA, controller));
    const prototype = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(prototype).flatMap((name) => {
      const handler = prototype[name];
      const method = name === 'constructor' ? undefined : (Reflect.getMetadata(METHOD_METADATA, handler as object) as RequestMethod | undefined);
      if (method === undefined) return [];
      const suffixes = pathList(Reflect.getMetadata(PATH_METADATA, handler as object));
      const paths = prefixes.flatMap((prefix) => suffixes.map((suffix) => `/${[prefix, suffix].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1')));
      return [{ handler, method: RequestMethod[method], paths }];
    });
  });
}

function pathList(metadata: unknown): string[] {
  if (metadata === undefined) return [''];
  return Array.isArray(metadata) ? metadata.map(String) : [String(metadata)];
}

/**
 * An OpenAPI 3.1 document built from the controllers: paths and methods from
 * Nest's route metadata, everything else from each handler's OperationDoc,
 * schemas from its zod schemas (the ones that validate the requests).
 */
export function buildOpenApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const components = new SchemaComponents();
  const basePath = options.basePath ?? '';
  const unused = new Set(options.operations?.keys());
  const common = Object.entries(options.commonResponses ?? {});
  const commonRefs = Object.fromEntries(common.map(([status]) => [status, { $ref: `#/components/responses/${status}` }]));
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routesOf(options.controllers)) {
    unused.delete(route.handler);
    const doc = options.operations?.get(route.handler) ?? (Reflect.getMetadata(API_DOC, route.handler as object) as OperationDoc | undefined);
    if (!doc) continue;
    for (const path of route.paths) {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) continue;
      const relative = (path.slice(basePath.length) || '/').replace(/:(\w+)/g, '{$1}');
      paths[relative] ??= {};
      paths[relative][route.method.toLowerCase()] = operation(doc, relative, components, commonRefs);
    }
  }
  if (unused.size > 0) throw new Error(`${unused.size} OpenAPI operation doc(s) describe handlers that are not routes of the controllers.`);
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    ...(basePath ? { servers: [{ url: basePath }] } : {}),
    ...(options.security ? { security: options.security } : {}),
    paths,
    components: {
      ...(options.securitySchemes ? { securitySchemes: options.securitySchemes } : {}),
      ...(common.length > 0 ? { responses: Object.fromEntries(common.map(([status, response]) => [status, responseObject(response, components)])) } : {}),
      schemas: components.schemas,
    },
  };
}

function operation(doc: OperationDoc, path: string, components: SchemaComponents, commonRefs: Record<string, unknown>): Record<string, unknown> {
  const pathParameters = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
  const queryParameters = doc.query ? parametersOf(components.describe(doc.query, 'input')) : [];
  const parameters = [...pathParameters, ...queryParameters];
  const responses: Record<string, unknown> = { ...commonRefs };
  for (const [status, response] of Object.entries(doc.responses)) responses[status] = responseObject(response, components);
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.security ? { security: doc.security } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body ? { requestBody: requestBody(doc.body, components) } : {}),
    responses,
  };
}

/** The properties of a query object schema (or of each part of an intersection) as query parameters. */
function parametersOf(schema: JsonSchema): JsonSchema[] {
  if (Array.isArray(schema.allOf)) return (schema.allOf as JsonSchema[]).flatMap(parametersOf);
  if (schema.type !== 'object') throw new Error('A query schema must be an object of parameters.');
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).map(([name, { description, ...value }]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(description ? { description } : {}),
    schema: value,
  }));
}

function mediaTypes(body: BodyDoc): Record<string, z.ZodType> {
  return body instanceof z.ZodType ? { 'application/json': body } : body;
}

function requestBody(body: BodyDoc, components: SchemaComponents): Record<string, unknown> {
  const types = mediaTypes(body);
  // A body the schema accepts when absent (an action without parameters) is optional.
  const required = Object.values(types).some((schema) => !schema.safeParse(undefined).success);
  const content = Object.fromEntries(Object.entries(types).map(([type, schema]) => [type, { schema: components.describe(schema, 'input') }]));
  return { required, content };
}

function responseObject(response: ResponseDoc, components: SchemaComponents): Record<string, unknown> {
  const content = response.body
    ? Object.fromEntries(Object.entries(mediaTypes(response.body)).map(([type, schema]) => [type, { schema: components.describe(schema, 'output') }]))
    : undefined;
  const headers = response.headers
    ? Object.fromEntries(Object.entries(response.headers).map(([name, header]) => [name, headerObject(header, components)]))
    : undefined;
  return { description: response.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
}

function headerObject(header: HeaderDoc, components: SchemaComponents): Record<string, unknown> {
  return { description: header.description, schema: header.schema ? components.describe(header.schema, 'output') : { type: 'string' } };
}
