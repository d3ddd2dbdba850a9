import { X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { requestContextOf, trustedProxyCheck } from '@keymint/http-kit';
import type { RequestContext } from '@keymint/telemetry';
import { OAuth2Parameters, parseParameters, rejectQueryCredentials } from '../oauth2/request-parameters';
import { presentedCertificate, ProxiedCertificates } from './client-certificate';
import { PresentedCredentials, presentedCredentials } from './presented-credentials';

/** An HTTP request as the OAuth 2.0 endpoints (token, revoke, introspect) see it. */
export interface OAuth2HttpRequest {
  body: unknown;
  query: unknown;
  authorization: string | undefined;
  address: string;
  /** The client's TLS certificate (RFC 8705), not yet checked: for mutual-TLS authentication and bound tokens. */
  certificate?: X509Certificate;
  /** The request's id and trace: what its RPCs, events and log lines carry. */
  origin: RequestContext;
}

/** Reads the OAuth 2.0 endpoints' requests off Fastify, the client certificate included (presentedCertificate). */
@Injectable()
export class OAuth2RequestReader {
  private readonly proxied: ProxiedCertificates;

  constructor(@Inject(CONFIG) config: Pick<TokenServiceConfig, 'MTLS_CLIENT_CERT_HEADER' | 'TRUST_PROXY'>) {
    this.proxied = { header: config.MTLS_CLIENT_CERT_HEADER, isTrustedProxy: trustedProxyCheck(config.TRUST_PROXY) };
  }

  read(request: FastifyRequest): OAuth2HttpRequest {
    return {
      body: request.body,
      query: request.query,
      authorization: request.headers.authorization,
      address: request.ip,
      certificate: presentedCertificate(request, this.proxied),
      origin: requestContextOf(request),
    };
  }
}

/** A request once opened: its parameters and the client credentials it presents, not yet checked. */
export interface OpenedRequest {
  parameters: OAuth2Parameters;
  credentials: PresentedCredentials;
  address: string;
  certificate?: X509Certificate;
  origin: RequestContext;
}

/**
 * The opening every OAuth 2.0 endpoint shares, in this order: parse the body
 * (one value per name) → refuse client credentials in the URL → find the
 * presented client credentials. Checking them is the caller's next step.
 */
export function openRequest(request: OAuth2HttpRequest): OpenedRequest {
  const parameters = parseParameters(request.body);
  rejectQueryCredentials(request.query);
  const { address, certificate, origin } = request;
  return { parameters, credentials: presentedCredentials(request.authorization, parameters, certificate), address, certificate, origin };
}
