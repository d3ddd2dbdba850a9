import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * An HTTP call that reports connection errors by code instead of throwing (fault tests count them). An https URL
 * is called on a fresh connection trusting the test server's self-signed certificate, presenting `certificate`
 * (mutual TLS) when given.
 */
export function http(
  url: string,
  /** A header given as a list is sent once per value (a repeated header field). */
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string; timeoutMs?: number; certificate?: { pem: string; keyPem: string } } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node sends DELETE bodies without one (and without chunking), which no server can frame.
    const headers = options.body === undefined ? options.headers : { ...options.headers, 'Content-Length': String(Buffer.byteLength(options.body)) };
    const common = { method: options.method ?? 'GET', headers, timeout: options.timeoutMs ?? 10_000 };
    const tls = { rejectUnauthorized: false, agent: false, ...(options.certificate ? { cert: options.certificate.pem, key: options.certificate.keyPem } : {}) };
    const send = url.startsWith('https:') ? (done: Parameters<typeof httpsRequest>[2]) => httpsRequest(url, { ...common, ...tls }, done) : (done: Parameters<typeof httpRequest>[2]) => httpRequest(url, common, done);
    const request = send((response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json: <T>() => JSON.parse(body) as T }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } });
