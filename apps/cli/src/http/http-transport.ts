import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { RequestFailedError, UsageError } from '../errors';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP exchange; the seam the unit tests replace with a fake. */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
}

export interface TlsOptions {
  /** Accept any certificate (self-signed development clusters). */
  insecure: boolean;
  /** PEM file of the certificate authority (or the self-signed certificate) to trust. */
  caFile?: string;
  /** The client's certificate and private key (PEM) presented in the TLS handshake: mutual TLS (RFC 8705). */
  clientCertificate?: ClientCertificate;
}

export interface ClientCertificate {
  cert: string;
  key: string;
}

const REQUEST_TIMEOUT_MS = 30_000;
const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/** node:http(s) rather than fetch: fetch cannot take per-request TLS options without undici. */
export class NodeHttpTransport implements HttpTransport {
  private readonly ca?: Buffer;

  constructor(private readonly tls: TlsOptions) {
    if (tls.caFile !== undefined) {
      try {
        this.ca = readFileSync(tls.caFile);
      } catch (error) {
        throw new UsageError(`cannot read --ca file ${tls.caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    }
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const requestFunction = secure ? https.request : http.request;
    const client = this.tls.clientCertificate;
    const tlsOptions: https.RequestOptions = secure
      ? { rejectUnauthorized: !this.tls.insecure, ...(this.ca ? { ca: this.ca } : {}), ...(client ? { cert: client.cert, key: client.key } : {}) }
      : {};
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));

    return new Promise<HttpResponse>((resolve, reject) => {
      const outgoing = requestFunction(url, { method: request.method, headers, timeout: REQUEST_TIMEOUT_MS, ...tlsOptions }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', (error) => reject(networkError(url, error)));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      outgoing.on('error', (error) => reject(networkError(url, error)));
      if (request.body !== undefined) outgoing.write(request.body);
      outgoing.end();
    });
  }
}

function networkError(url: URL, error: Error): RequestFailedError {
  const code = (error as NodeJS.ErrnoException).code ?? error.message;
  const hint = TLS_ERROR.test(code) ? ' (self-signed certificate? use --ca FILE, or --insecure)' : '';
  return new RequestFailedError(`cannot reach ${url.origin}: ${code}${hint}`);
}
