import { createServer, Server } from 'node:http';
import { freePort, waitFor } from '../scripts/lib/ports';
import { RegistryApi } from '../bench/keymint-api';
import { asyncHookProbeEnv, asyncHookReports } from './support/async-hooks';
import { startTestCluster, TestCluster } from './support/cluster';
import { basicAuth, http } from './support/http';

/** One span as an OTLP/HTTP JSON export carries it, with the service that sent it. */
interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  links: Array<{ traceId: string; spanId: string }>;
}

const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 };

/** OTLP JSON ids are hex; base64 (the protobuf JSON mapping) is read too. */
function hexId(id: unknown): string {
  if (typeof id !== 'string' || id === '') return '';
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

/** A minimal OpenTelemetry collector: accepts OTLP/HTTP JSON trace exports and keeps the spans. */
function startReceiver(port: number, spans: ReceivedSpan[]): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !String(request.headers['content-type']).startsWith('application/json')) {
        response.writeHead(415).end();
        return;
      }
      const exported = JSON.parse(body) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeSpans: Array<{ spans: Array<Record<string, unknown> & { links?: Array<Record<string, unknown>> }> }>;
        }>;
      };
      for (const resourceSpans of exported.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service,
              name: span.name as string,
              kind: span.kind as number,
              traceId: hexId(span.traceId),
              spanId: hexId(span.spanId),
              parentSpanId: hexId(span.parentSpanId),
              links: (span.links ?? []).map((link) => ({ traceId: hexId(link.traceId), spanId: hexId(link.spanId) })),
            });
          }
        }
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * Traces as an operator's OpenTelemetry collector gets them (docs/operations.md, "Traces"): a real cluster
 * exporting to a receiver this test runs; one /token request and the analytics update it caused are one trace.
 */
describe('traces', () => {
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let cluster: TestCluster;
  let authorization: string;

  beforeAll(async () => {
    const port = await freePort();
    receiver = await startReceiver(port, spans);
    // OTEL_BSP_SCHEDULE_DELAY: the exporter's batches leave every 200 ms instead of every 5 s.
    // Every service reports any async hook enabled in it (the last test).
    cluster = await startTestCluster({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '200', ...asyncHookProbeEnv() } });
    const registry = new RegistryApi(cluster.url('application-registry'), cluster.admin);
    const keys = await registry.generateKeys(await registry.createApplication('traced', 'OAUTH'), ['client_credentials']);
    authorization = basicAuth(keys.consumerKey, keys.consumerSecret);
  });
  afterAll(async () => {
    await cluster?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const find = (traceId: string, service: string, name: string, kind: number) =>
    spans.find((span) => span.traceId === traceId && span.service === service && span.name === name && span.kind === kind);

  it("puts a /token request, its RPC, its event's publish and analytics' apply of that event in one trace", async () => {
    const answer = await http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization },
      body: 'grant_type=client_credentials',
    });
    expect(answer.status).toBe(200);
    let request: ReceivedSpan | undefined;
    await waitFor(async () => (request = spans.find((span) => span.service === 'token-service' && span.name === 'POST /token' && span.kind === SPAN_KIND.server)) !== undefined, 15_000, 'the /token span');
    const traceId = request!.traceId;
    await waitFor(async () => find(traceId, 'analytics', 'process tokens.issued.v1', SPAN_KIND.consumer) !== undefined, 20_000, "analytics' apply span in the request's trace");

    const publish = find(traceId, 'token-service', 'publish tokens.issued.v1', SPAN_KIND.producer);
    const apply = find(traceId, 'analytics', 'process tokens.issued.v1', SPAN_KIND.consumer);
    const rpcClient = find(traceId, 'token-service', 'registry.rpc.client.get.v1', SPAN_KIND.client);
    const rpcServer = find(traceId, 'application-registry', 'registry.rpc.client.get.v1', SPAN_KIND.server);
    expect({ publish, apply, rpcClient, rpcServer }).toEqual({
      publish: expect.objectContaining({ parentSpanId: request!.spanId }),
      apply: expect.objectContaining({ parentSpanId: request!.spanId }),
      rpcClient: expect.objectContaining({ parentSpanId: request!.spanId }),
      rpcServer: expect.objectContaining({ parentSpanId: rpcClient?.spanId }),
    });
    expect(request!.parentSpanId).toBe('');
  });

  it("continues the trace a caller's traceparent names", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const answer = await http(cluster.url('token-service', '/token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization, traceparent: `00-${traceId}-${parentSpanId}-01` },
      body: 'grant_type=client_credentials',
    });
    expect(answer.status).toBe(200);
    await waitFor(async () => find(traceId, 'analytics', 'process tokens.issued.v1', SPAN_KIND.consumer) !== undefined, 20_000, 'the apply span in the caller\'s trace');
    expect(find(traceId, 'token-service', 'POST /token', SPAN_KIND.server)).toMatchObject({ parentSpanId });
  });

  it('need no context manager: with tracing on too, no service enables an async hook', () => {
    // Every span is given its parent (libs/telemetry, tracing.ts); OpenTelemetry's context manager, which would keep
    // the current span in an AsyncLocalStorage, is never installed.
    const reports = asyncHookReports(cluster.dataDir);
    const services = Object.keys(reports).filter((file) => /^(token-service|application-registry|analytics)/.test(file));
    expect(services).toEqual(expect.arrayContaining(['token-service.log', 'application-registry.log', 'analytics.log']));
    for (const file of services) expect({ file, ...reports[file] }).toEqual({ file, installed: true, enabled: [] });
  });
});
