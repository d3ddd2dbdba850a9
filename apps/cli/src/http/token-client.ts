import { RequestFailedError } from '../errors';
import { errorFromResponse, parseJsonBody } from './api-client';
import { signDpopProof } from './dpop-proof';
import { HttpResponse, HttpTransport } from './http-transport';
import { SigningKey } from './jws-signing';

/** RFC 6749 §5.1 as the token service answers it (docs/token-api.md). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

export interface ClientCredentials {
  consumerKey: string;
  consumerSecret: string;
}

/** RFC 6749 Appendix B: each part form-urlencoded before base64. */
export function clientBasicAuthorization(client: ClientCredentials): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(client.consumerKey)}:${encode(client.consumerSecret)}`).toString('base64')}`;
}

/** A client that proves itself with a signed assertion (private_key_jwt) instead of a secret. */
export interface ClientAssertion {
  consumerKey: string;
  assertion: string;
}

/**
 * A client that proves itself with the certificate its transport presents (tls_client_auth or
 * self_signed_tls_client_auth, RFC 8705 §2): only client_id goes in the body.
 */
export interface ClientByCertificate {
  consumerKey: string;
  byCertificate: true;
}

/** How a client proves itself at the token endpoint. */
export type TokenClient = ClientCredentials | ClientAssertion | ClientByCertificate;

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A token request's parameters; a list is sent as the parameter repeated (RFC 8707's resource=a&resource=b). */
export type TokenParameters = Record<string, string | string[]>;

function formOf(parameters: TokenParameters): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
  return form.toString();
}

/**
 * POSTs a form to the token endpoint; a refusal becomes "error: error_description". `client` is asked for
 * its credentials on each attempt (an assertion is single-use). With `dpopKey` every attempt carries a fresh
 * DPoP proof (RFC 9449), and a `use_dpop_nonce` answer is tried once more with the nonce it gives (§8).
 */
export async function postTokenEndpoint(
  transport: HttpTransport,
  url: string,
  client: TokenClient | (() => TokenClient),
  parameters: TokenParameters,
  dpopKey?: SigningKey,
): Promise<TokenResponse> {
  const credentials = typeof client === 'function' ? client : () => client;
  let response = await sendTokenRequest(transport, url, credentials(), parameters, dpopKey);
  const nonce = dpopKey ? askedNonce(response) : undefined;
  if (nonce !== undefined) response = await sendTokenRequest(transport, url, credentials(), parameters, dpopKey, nonce);
  if (response.status >= 400) throw errorFromResponse(response);
  const body = parseJsonBody(response) as Partial<TokenResponse> | undefined;
  if (!body || typeof body.access_token !== 'string') {
    throw new RequestFailedError(`the token endpoint answered ${response.status} without an access_token`, response.status);
  }
  return body as TokenResponse;
}

function sendTokenRequest(
  transport: HttpTransport,
  url: string,
  client: TokenClient,
  parameters: TokenParameters,
  dpopKey: SigningKey | undefined,
  nonce?: string,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' };
  let form = parameters;
  if ('assertion' in client) form = { ...parameters, client_assertion_type: JWT_BEARER, client_assertion: client.assertion };
  else if ('byCertificate' in client) form = { ...parameters, client_id: client.consumerKey };
  else headers.Authorization = clientBasicAuthorization(client);
  if (dpopKey) headers.DPoP = signDpopProof(dpopKey, { method: 'POST', url }, nonce);
  return transport.send({ method: 'POST', url, headers, body: formOf(form) });
}

/** The nonce of a `400 use_dpop_nonce` answer's `DPoP-Nonce` header (RFC 9449 §8), else undefined. */
function askedNonce(response: HttpResponse): string | undefined {
  const header = response.headers['dpop-nonce'];
  if (response.status !== 400 || typeof header !== 'string') return undefined;
  try {
    return (JSON.parse(response.body) as { error?: unknown }).error === 'use_dpop_nonce' ? header : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7009; best effort, the caller decides whether a failure matters. */
export async function revokeToken(transport: HttpTransport, tokenUrl: string, client: ClientCredentials, token: string, hint: string): Promise<boolean> {
  const revokeUrl = tokenUrl.replace(/\/token\/?$/, '/revoke');
  if (revokeUrl === tokenUrl) return false;
  const response = await transport.send({
    method: 'POST',
    url: revokeUrl,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: clientBasicAuthorization(client) },
    body: new URLSearchParams({ token, token_type_hint: hint }).toString(),
  });
  return response.status === 200;
}

/** The authorization server's issuer, from its metadata beside the token endpoint (RFC 8414): what an assertion's aud names. */
export async function issuerOf(transport: HttpTransport, tokenUrl: string): Promise<string> {
  const metadataUrl = new URL('/.well-known/oauth-authorization-server', tokenUrl).toString();
  const response = await transport.send({ method: 'GET', url: metadataUrl, headers: { Accept: 'application/json' } });
  if (response.status >= 400) throw errorFromResponse(response);
  const metadata = parseJsonBody(response) as { issuer?: unknown } | undefined;
  if (typeof metadata?.issuer !== 'string') throw new RequestFailedError(`${metadataUrl} names no issuer`, response.status);
  return metadata.issuer;
}
