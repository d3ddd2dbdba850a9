import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod/v4';
import { ApiDoc, OperationDoc, wso2Error } from './api-doc';
import { FIELD_TEXTS } from './field-texts';
import { jsonField } from './fields';
import { buildOpenApiDocument, routesOf } from './openapi';
import { queryParameters } from './query-parameters';

const parameter = queryParameters(FIELD_TEXTS);
const ThingInput = jsonField
  .object({
    name: jsonField.text('name', { min: 1, max: 10 }),
    tags: jsonField.list('tags', { maxItems: 3, maxLength: 5 }).default([]),
    size: jsonField.integer('size', { min: 1, max: 9, default: 2 }),
  })
  .meta({ id: 'ThingInput' });
const Thing = z.object({ id: z.uuid(), name: z.string(), created: z.iso.datetime(), count: z.int() }).meta({ id: 'Thing' });
const ThingList = z.object({ list: z.array(Thing) }).meta({ id: 'ThingList' });
const ListQuery = z.object({ limit: parameter.integer('limit', { min: 1, max: 50, default: 10 }).describe('Page size.'), query: parameter.text('query', { max: 20 }).optional() });

@Controller('api/v1/things')
class ThingsController {
  @ApiDoc({ summary: 'List', query: ListQuery, responses: { 200: { description: 'Things', body: ThingList } } })
  @Get()
  list(@Query() query: unknown) {
    return query;
  }

  @ApiDoc({ summary: 'Create', body: ThingInput, responses: { 201: { description: 'Created', body: Thing, headers: { Location: { description: 'Its path.' } } } } })
  @Post()
  create(@Body() body: unknown) {
    return body;
  }

  @Get(':thingId')
  get(@Param('thingId') id: string) {
    return id;
  }
}

@Controller()
class OtherController {
  @Get(['ping', 'v1/ping'])
  ping() {
    return 'pong';
  }
}

const options = { title: 'Things', version: 'v1', basePath: '/api/v1', controllers: [ThingsController], commonResponses: { 400: wso2Error('Bad input.') } };

describe('buildOpenApiDocument', () => {
  const document = buildOpenApiDocument(options) as {
    openapi: string;
    servers: unknown;
    paths: Record<string, Record<string, any>>;
    components: { schemas: Record<string, any>; responses: Record<string, unknown> };
  };

  it('reads every path of every handler from Nest route metadata', () => {
    expect(routesOf([ThingsController, OtherController]).map(({ method, paths }) => `${method} ${paths.join(' ')}`)).toEqual([
      'GET /api/v1/things',
      'POST /api/v1/things',
      'GET /api/v1/things/:thingId',
      'GET /ping /v1/ping',
    ]);
  });

  it('describes the documented handlers under the base path, with OpenAPI 3.1 and its server', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(document.paths)).toEqual(['/things']);
    expect(Object.keys(document.paths['/things'])).toEqual(['get', 'post']);
  });

  it('lists a query schema as its parameters, with what is required, the defaults and the descriptions', () => {
    expect(document.paths['/things'].get.parameters).toEqual([
      { name: 'limit', in: 'query', required: false, description: 'Page size.', schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
      { name: 'query', in: 'query', required: false, schema: { type: 'string', maxLength: 20 } },
    ]);
  });

  it('puts named schemas in components, requests as accepted and responses as sent', () => {
    const post = document.paths['/things'].post;
    expect(post.requestBody).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingInput' } } } });
    expect(document.components.schemas.ThingInput).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 10 },
        tags: { type: 'array', maxItems: 3, items: { type: 'string', minLength: 1, maxLength: 5 }, default: [] },
        size: { type: ['integer', 'string'], pattern: expect.any(String), minimum: 1, maximum: 9, default: 2 },
      },
      required: ['name'],
    });
    expect(document.components.schemas.Thing).toEqual({
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, created: { type: 'string', format: 'date-time' }, count: { type: 'integer' } },
      required: ['id', 'name', 'created', 'count'],
      additionalProperties: false,
    });
    expect(document.components.schemas.ThingList.properties.list.items).toEqual({ $ref: '#/components/schemas/Thing' });
    expect(post.responses[201].headers).toEqual({ Location: { description: 'Its path.', schema: { type: 'string' } } });
  });

  it('refers every operation to the common responses, unless it has its own', () => {
    expect(document.paths['/things'].get.responses[400]).toEqual({ $ref: '#/components/responses/400' });
    expect(document.components.responses[400]).toEqual({ description: 'Bad input.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  });

  it('takes docs kept outside the controllers, and refuses one for a handler that is no route', () => {
    const ping: OperationDoc = { summary: 'Ping', security: [], responses: { 200: { description: 'pong' } } };
    const withPing = buildOpenApiDocument({ title: 't', version: '1', controllers: [OtherController], operations: new Map([[OtherController.prototype.ping, ping]]) }) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(withPing.paths)).toEqual(['/ping', '/v1/ping']);
    expect(() => buildOpenApiDocument({ ...options, operations: new Map([[OtherController.prototype.ping, ping]]) })).toThrow(/not routes/);
  });

  it('refuses a named schema that reads differently as a request and as a response', () => {
    @Controller()
    class EchoController {
      @ApiDoc({ summary: 'Echo', body: Thing, responses: { 200: { description: 'The same', body: Thing } } })
      @Post('echo')
      echo(@Body() body: unknown) {
        return body;
      }
    }
    expect(() => buildOpenApiDocument({ title: 't', version: '1', controllers: [EchoController] })).toThrow(/named 'Thing'/);
  });
});
