import type { FastifyRequest } from 'fastify';
import { OAuth2Parameters, parseParameters, rejectQueryCredentials } from '../oauth2/request-parameters';
import { PresentedCredentials, presentedCredentials } from './presented-credentials';

/** An HTTP request as the OAuth 2.0 endpoints (token, revoke, introspect) see it. */
export interface OAuth2HttpRequest {
  body: unknown;
  query: unknown;
  authorization: string | undefined;
  address: string;
}

export function fromFastify(request: FastifyRequest): OAuth2HttpRequest {
  return { body: request.body, query: request.query, authorization: request.headers.authorization, address: request.ip };
}

/** A request once opened: its parameters and the client credentials it presents, not yet checked. */
export interface OpenedRequest {
  parameters: OAuth2Parameters;
  credentials: PresentedCredentials;
  address: string;
}

/**
 * The opening every OAuth 2.0 endpoint shares, in this order: parse the body
 * (one value per name) → refuse client credentials in the URL → find the
 * presented client credentials. Checking them is the caller's next step.
 */
export function openRequest(request: OAuth2HttpRequest): OpenedRequest {
  const parameters = parseParameters(request.body);
  rejectQueryCredentials(request.query);
  return { parameters, credentials: presentedCredentials(request.authorization, parameters), address: request.address };
}
