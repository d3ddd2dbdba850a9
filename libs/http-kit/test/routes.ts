import { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { RouteOptions } from 'fastify';

type ModuleLike = Type | DynamicModule | ForwardReference | Promise<DynamicModule>;

/** Every controller a module registers, with those of the modules it imports (static and dynamic). */
export function controllersOf(module: ModuleLike, seen = new Set<unknown>()): Type[] {
  if (module instanceof Promise || 'forwardRef' in module) throw new Error('asynchronous and forward-referenced imports are not supported here');
  const dynamic = 'module' in module ? module : undefined;
  const type = dynamic ? dynamic.module : (module as Type);
  if (seen.has(module)) return [];
  seen.add(module);
  const own = [...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) as Type[] | undefined) ?? []), ...(dynamic?.controllers ?? [])];
  const imports = [...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleLike[] | undefined) ?? []), ...(dynamic?.imports ?? [])];
  return [...own, ...imports.flatMap((imported) => controllersOf(imported, seen))];
}

/**
 * `METHOD /path/{param}` of every HTTP route Fastify gets when Nest mounts
 * `controllers` (their dependencies are stand-ins: `provide` may give some;
 * the HEAD routes Fastify adds beside GETs are left out).
 */
export async function mountedRoutes(controllers: Type[], provide: (token: unknown) => unknown = () => undefined): Promise<string[]> {
  const moduleRef = await Test.createTestingModule({ controllers })
    .useMocker((token) => provide(token) ?? {})
    .compile();
  const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
  const routes: string[] = [];
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) if (method !== 'HEAD') routes.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    });
  await app.init();
  await app.close();
  return routes.sort();
}

interface OpenApiDocumentShape {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, unknown>>;
}

/** `METHOD /path/{param}` of every operation of an OpenAPI document, the server URL in front. */
export function documentedRoutes(document: unknown): string[] {
  const { servers, paths } = document as OpenApiDocumentShape;
  const base = servers?.[0]?.url ?? '';
  return Object.entries(paths)
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${base}${path === '/' && base ? '' : path}`))
    .sort();
}

/** The probes and metrics every service mounts (ObservabilityModule): outside every API document. */
export const OBSERVABILITY_ROUTES = ['GET /health', 'GET /health/live', 'GET /health/ready', 'GET /health/started', 'GET /metrics'];
