import { createServer as createHttpServer, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { DynamicModule, INestApplication, LoggerService, ShutdownSignal, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';
import type { CommonConfig, ServiceName } from '@keymint/config';
import { CallerOnlyNatsServer, natsAccessFromConfig, natsConnectionOptions } from '@keymint/messaging';
import {
  contextFromTraceHeaders,
  contextOf,
  createLoggers,
  endSpan,
  logFormatOf,
  NestLogger,
  REQUEST_ID_HEADER,
  RequestContext,
  requestIdOf,
  ServiceLoggers,
  Span,
  SpanKind,
  startSpan,
  startTracing,
  stopTracing,
  traceIdsOf,
  tracingIsOn,
} from '@keymint/telemetry';
import { BODY_LIMIT_BYTES, createErrorFilter, errorBody, ErrorStyle } from './errors';
import { parseFormBody } from './form-body';
import { ServiceLifecycle } from './observability.controller';
import { attachRequestState, requestStateOf } from './request-context';
import { loadTlsMaterial } from './tls';


export interface PortSetting {
  port: number;
  /** The environment variable that sets it, named in the error when the port is taken. */
  variable: string;
}

export interface ServiceBootstrapOptions {
  /** The service, which is also its user on the bus. */
  name: ServiceName;
  module: Type | DynamicModule;
  config: CommonConfig;
  https: PortSetting;
  http: PortSetting;
  errorStyle: ErrorStyle;
  /** Headers of the service's own on every response, errors included (besides NO_STORE_HEADERS and HSTS). */
  responseHeaders?: Record<string, string>;
  /**
   * The HTTPS listener asks every client for a certificate without requiring one (mutual TLS, RFC 8705): the
   * service checks what it got, per client, since a self-signed certificate is legitimate for some clients.
   */
  requestClientCertificate?: boolean;
  /** Awaited after the app is initialized and its RPC servers run, before the ports listen. */
  beforeListen?: () => Promise<void>;
  /** Awaited while stopping, after SHUTDOWN_DELAY and before the HTTP servers stop listening. */
  beforeDrain?: () => Promise<void>;
}

/**
 * On every answer of every service, errors included: API answers carry consumer secrets, tokens and
 * personal data, which no cache on the way may keep (RFC 6749 §5.1 for tokens). Pages and their assets set
 * their own caching.
 */
const NO_STORE_HEADERS: Record<string, string> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
/** On every HTTPS answer: a browser that has seen one never talks to the service in clear text again (RFC 6797). */
const HSTS = 'max-age=31536000; includeSubDomains';

const requestsTotal = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests by route, method and status',
  labelNames: ['route', 'method', 'status'],
});
const requestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by route, method and status',
  labelNames: ['route', 'method', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** The service's loggers as its configuration says (LOG_LEVEL, LOG_FORMAT; readable on a terminal). */
export function serviceLoggers(name: string, config: Pick<CommonConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>): ServiceLoggers {
  return createLoggers({ service: name, level: config.LOG_LEVEL, format: logFormatOf(config.LOG_FORMAT, process.stdout.isTTY === true) });
}

/**
 * Starts one keymint service as a hybrid Nest app: HTTPS and HTTP listeners on
 * one Fastify instance, plus the NATS microservice for its RPC handlers.
 * Shutdown: stopOnSignals.
 */
export async function bootstrapService(options: ServiceBootstrapOptions): Promise<INestApplication> {
  const { config } = options;
  const loggers = serviceLoggers(options.name, config);
  const logger = new NestLogger(loggers.app);
  startTracing(options.name, config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const tls = loadTlsMaterial(config);

  let httpServer: HttpServer | undefined;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // While stopping, a request that arrives on an open keep-alive connection is served (with Connection: close),
    // not refused: everything it needs stays open until the HTTP servers have closed (stopOnSignals).
    return503OnClosing: false,
    // request.ip is the client behind the proxies TRUST_PROXY names (X-Forwarded-For), else the TCP peer.
    trustProxy: config.TRUST_PROXY,
    // URLs the router rejects before any handler (bad percent-encoding, over-long path parameter) get the service's error shape too.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode === 414 ? 414 : 400;
      const description = status === 414 ? 'A path parameter is too long.' : 'The request URL is not valid.';
      void reply.headers(NO_STORE_HEADERS);
      if (options.responseHeaders) void reply.headers(options.responseHeaders);
      void reply.code(status).send(errorBody(options.errorStyle, status, description));
    },
    serverFactory: (handler: (request: IncomingMessage, response: ServerResponse) => void) => {
      if (config.HTTP_ENABLED) httpServer = createHttpServer(SERVER_TIMEOUTS, handler);
      return createHttpsServer({ ...SERVER_TIMEOUTS, key: tls.key, cert: tls.cert, ...(options.requestClientCertificate ? CLIENT_CERTIFICATE_REQUEST : {}) }, handler);
    },
  });

  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, { logger, abortOnError: false, bodyParser: false });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const drain = { draining: false };
  configureFastify(fastify, options, loggers, drain);
  app.useGlobalFilters(createErrorFilter(options.errorStyle));
  app.connectMicroservice<MicroserviceOptions>(
    {
      strategy: new CallerOnlyNatsServer({
        ...natsConnectionOptions(natsAccessFromConfig(config, options.name), `${options.name}-rpc-server`),
        queue: options.name,
      }),
    },
    { inheritAppConfig: true },
  );
  const lifecycle = app.get(ServiceLifecycle);
  stopOnSignals(app, lifecycle, config.SHUTDOWN_DELAY, logger, {
    fastify,
    servers: () => [fastify.server, ...(httpServer ? [httpServer] : [])],
    drain,
    beforeDrain: options.beforeDrain,
  });
  // Spans still buffered go out before the process ends.
  fastify.addHook('onClose', () => stopTracing());
  fastify.addHook('onClose', async () => {
    if (!httpServer) return;
    await new Promise<void>((resolve) => {
      httpServer!.close(() => resolve());
      httpServer!.closeIdleConnections();
    });
  });

  await app.init();
  await app.startAllMicroservices();
  // A worker of several listens once all are prepared (runWorkerProcesses): the ports open on a whole service.
  await options.beforeListen?.();
  await listen(() => app.listen({ port: options.https.port, host: config.BIND_HOST }), options.https);
  if (httpServer) await listen(() => listenOn(httpServer!, options.http.port, config.HTTP_BIND_HOST), options.http);
  lifecycle.markStarted();
  loggers.app.info(
    `${options.name} ready: https on ${config.BIND_HOST}:${options.https.port}` +
      (httpServer ? `, plain http on ${config.HTTP_BIND_HOST}:${options.http.port}` : ' (plain HTTP disabled)'),
  );
  return app;
}

/**
 * SIGTERM, SIGINT and the other signals Nest's shutdown hooks handle: readiness turns DOWN at once, so that a load
 * balancer polling /health/ready stops sending requests; SHUTDOWN_DELAY seconds later (0 by default) the service
 * drains its HTTP servers: they stop taking connections, every answer carries `Connection: close` (the client's
 * next request goes over a new connection, elsewhere), and the connections still open after DRAIN_MS (clients that
 * send nothing) are closed. Then Nest's shutdown hooks stop the consumers, publish the outbox, drain NATS and close
 * the database, and the signal is raised again without its handlers, as Nest's own handling does. A second signal
 * while stopping changes nothing.
 *
 * The HTTP servers close first: Nest's own close runs the hooks before it closes the HTTP server, so for a moment
 * a stopping service accepted requests with NATS closed (clients saw fastify's 503). And closing a server at once
 * closes its idle keep-alive connections, on which a busy client may be sending its next request that very moment
 * (a reset it cannot tell from a lost request).
 */
function stopOnSignals(
  app: INestApplication,
  lifecycle: ServiceLifecycle,
  delaySeconds: number,
  logger: LoggerService,
  http: { fastify: FastifyInstance; servers: () => NetServer[]; drain: { draining: boolean }; beforeDrain?: () => Promise<void> },
): void {
  const signals = Object.values(ShutdownSignal) as NodeJS.Signals[];
  const stop = async (signal: NodeJS.Signals) => {
    if (lifecycle.stopping) return;
    lifecycle.beginShutdown();
    try {
      if (delaySeconds > 0) {
        logger.log(`${signal}: readiness is DOWN; stopping in ${delaySeconds} s (SHUTDOWN_DELAY)`);
        await new Promise((resolve) => setTimeout(resolve, delaySeconds * 1000));
      }
      await http.beforeDrain?.();
      http.drain.draining = true;
      // net.Server's own close: stop listening, without closing the idle connections as http.Server's does.
      for (const server of http.servers()) NetServer.prototype.close.call(server);
      await waitForNoConnections(http.servers(), DRAIN_MS);
      // Idle ones are closed now; one still busy after BUSY_DRAIN_MS (a client that does not read its answer) is cut,
      // or it would keep the service from stopping and its outbox from being published.
      for (const server of http.servers()) (server as HttpServer).closeIdleConnections?.();
      await waitForNoConnections(http.servers(), BUSY_DRAIN_MS);
      for (const server of http.servers()) (server as HttpServer).closeAllConnections?.();
      await http.fastify.close();
      await app.close();
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
    for (const each of signals) process.removeListener(each, stop);
    process.kill(process.pid, signal);
  };
  for (const signal of signals) process.on(signal, stop);
}

/** How long a stopping service waits for its clients to close their connections (each after one more answer). */
const DRAIN_MS = 1000;
/** How long a stopping service then waits for answers still being sent before it cuts their connections. */
const BUSY_DRAIN_MS = 5000;

async function waitForNoConnections(servers: NetServer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const open = (server: NetServer) => new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
  while (Date.now() < deadline) {
    const counts = await Promise.all(servers.map(open));
    if (counts.every((count) => count === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Ask for a client certificate, never insist, and complete the handshake whatever is presented: a client without
 * one (a bearer client) connects as before, and a certificate no CA of Node's vouches for (a self-signed one) is
 * the service's to judge. No `ca` either: its names would be sent as the acceptable issuers, and some clients
 * then withhold a self-signed certificate.
 */
const CLIENT_CERTIFICATE_REQUEST = { requestCert: true, rejectUnauthorized: false } as const;

/**
 * Slow clients are cut off instead of holding sockets forever: the headers
 * must arrive within 10 s and the whole request within 30 s (408 and close),
 * checked every second; idle keep-alive connections close after 65 s.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
} as const;

function configureFastify(fastify: FastifyInstance, options: ServiceBootstrapOptions, loggers: ServiceLoggers, drain: { draining: boolean }): void {
  collectDefaultMetrics();
  // Every series names its service, whatever job name the Prometheus that scrapes it gives (the dashboard groups by it).
  register.setDefaultLabels({ service: options.name });

  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseFormBody(body as string));
  });
  // Other media types reach the handlers as text, so each endpoint answers them with its own documented error.
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // Callback hooks, not async ones: an async hook costs a promise and a microtask per request and hook.
  fastify.addHook('onRequest', (request, reply, done) => {
    // The caller's X-Request-Id when it is a sound one (bounded, no line breaks or spaces), else a new one.
    const requestId = requestIdOf(request.headers['x-request-id']);
    // Off, tracing costs this check only.
    const span = tracingIsOn() ? requestSpan(request) : undefined;
    const context: RequestContext = span ? { requestId, trace: contextOf(span) } : { requestId };
    // What handles the request takes the context from there (`@CurrentRequestContext()`, `requestContextOf`) and passes it on.
    attachRequestState(request, { context, started: process.hrtime.bigint(), span });
    reply.header(REQUEST_ID_HEADER, requestId);
    // Stopping: the client's next request goes over a new connection, to another replica (stopOnSignals).
    if (drain.draining) reply.header('Connection', 'close');
    reply.headers(NO_STORE_HEADERS);
    if (options.responseHeaders) reply.headers(options.responseHeaders);
    if ((request.raw.socket as { encrypted?: boolean }).encrypted) reply.header('Strict-Transport-Security', HSTS);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const state = requestStateOf(request);
    const seconds = state ? Number(process.hrtime.bigint() - state.started) / 1e9 : 0;
    const route = request.routeOptions?.url ?? 'unmatched';
    const labels = { route, method: request.method, status: String(reply.statusCode) };
    requestsTotal.inc(labels);
    requestDuration.observe(labels, seconds);
    if (state?.span) {
      state.span.setAttribute('http.response.status_code', reply.statusCode);
      endSpan(state.span, reply.statusCode >= 500 ? `HTTP ${reply.statusCode}` : undefined);
    }
    // Path only: query strings may carry credentials that must never reach a log. Probes and scrapes, which come
    // every few seconds from the launcher, an orchestrator or Prometheus, at debug.
    const query = request.url.indexOf('?');
    const line: Record<string, unknown> = {
      requestId: state?.context.requestId,
      method: request.method,
      path: query === -1 ? request.url : request.url.slice(0, query),
      status: reply.statusCode,
      ms: Math.round(seconds * 1e6) / 1e3,
      remote: request.ip,
    };
    // Not a spread into the literal above: that builds the object field by field on every request.
    if (state?.context.trace) Object.assign(line, traceIdsOf(state.context.trace));
    loggers.access[route.startsWith('/health') || route === '/metrics' ? 'debug' : 'info'](line, 'request');
    done();
  });
}

/** The span of an HTTP request, in the trace its caller's `traceparent` names if any. */
function requestSpan(request: FastifyRequest): Span | undefined {
  const route = request.routeOptions?.url;
  return startSpan(`${request.method} ${route ?? 'unmatched'}`, {
    kind: SpanKind.SERVER,
    parent: contextFromTraceHeaders(singleHeader(request.headers.traceparent), singleHeader(request.headers.tracestate)),
    attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0], ...(route ? { 'http.route': route } : {}) },
  });
}

/** A header's value when it was sent once (Node joins repeated headers it does not know, and gives arrays for a few). */
function singleHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

async function listen(start: () => Promise<unknown>, setting: PortSetting): Promise<void> {
  try {
    await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${setting.port} is already in use: set ${setting.variable} to a free port`);
    }
    throw error;
  }
}

function listenOn(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
