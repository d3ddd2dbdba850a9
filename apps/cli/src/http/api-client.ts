import { RequestFailedError } from '../errors';
import { HttpRequest, HttpResponse, HttpTransport } from './http-transport';

/** Supplies the Authorization header of registry and analytics calls. */
export interface AuthProvider {
  authorization(): Promise<string>;
  /** Called after a 401: gets fresh credentials when it can; false when retrying is pointless. */
  renew(): Promise<boolean>;
}

export type ServiceName = 'registry' | 'analytics';
export type QueryValue = string | number | undefined;

export interface ApiRequest {
  method: HttpRequest['method'];
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

/** JSON calls to the registry and analytics REST APIs, with the caller's credentials. */
export class ApiClient {
  constructor(
    private readonly transport: HttpTransport,
    private readonly baseUrls: Record<ServiceName, string>,
    /** Per service, so a stored token is only sent where it belongs. */
    private readonly auth: Record<ServiceName, AuthProvider>,
  ) {}

  async call<T>(service: ServiceName, request: ApiRequest): Promise<T> {
    let response = await this.send(service, request);
    if (response.status === 401 && (await this.auth[service].renew())) response = await this.send(service, request);
    if (response.status >= 400) throw errorFromResponse(response);
    return parseJsonBody(response) as T;
  }

  private async send(service: ServiceName, request: ApiRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: await this.auth[service].authorization() };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    return this.transport.send({
      method: request.method,
      url: buildUrl(this.baseUrls[service], request.path, request.query),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
  }
}

export function buildUrl(base: string, path: string, query: Record<string, QueryValue> = {}): string {
  const url = new URL(base.replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
  return url.toString();
}

/** Path segment escaping for ids and names the user typed (scope names contain ':'). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

export function parseJsonBody(response: HttpResponse): unknown {
  if (response.body.trim() === '') return undefined;
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new RequestFailedError(`the server answered ${response.status} with a body that is not JSON`, response.status);
  }
}

/**
 * One line from an error answer: WSO2's {code, message, description} or
 * OAuth2's {error, error_description}, else the status and the start of the body.
 */
export function errorFromResponse(response: HttpResponse): RequestFailedError {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  const field = (name: string) => {
    const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  };
  const oauthError = field('error');
  if (oauthError) {
    const description = field('error_description');
    return new RequestFailedError(description ? `${oauthError}: ${description}` : oauthError, response.status);
  }
  const message = field('message');
  const description = field('description');
  if (message || description) {
    const parts = [String(response.status), message && message !== description ? `${message}:` : undefined, description ?? ''];
    return new RequestFailedError(parts.filter((part) => part).join(' '), response.status);
  }
  const excerpt = response.body.trim().slice(0, 200);
  return new RequestFailedError(`the server answered ${response.status}${excerpt ? `: ${excerpt}` : ''}`, response.status);
}
