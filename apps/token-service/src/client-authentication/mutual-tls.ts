import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientJwks, ClientRecord, formatDistinguishedName, parseDistinguishedName, readCertificate, sameDistinguishedName } from '@keymint/contracts';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { publicKeyOf } from './client-assertion';

/** RFC 8705 §2's two methods, in the order a key that allows both tries them. */
export const MUTUAL_TLS_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const;
export type MutualTlsMethod = (typeof MUTUAL_TLS_METHODS)[number];

/** extendedKeyUsage values that let a certificate authenticate a TLS client (RFC 5280 §4.2.1.12). */
const CLIENT_AUTH_USAGES = ['1.3.6.1.5.5.7.3.2', '2.5.29.37.0'];

/**
 * Mutual-TLS client authentication (RFC 8705 §2), once the TLS handshake has shown that the client holds the
 * certificate's private key. Which method applies is the key's: a key that allows both is accepted by either.
 */
@Injectable()
export class MutualTlsAuthenticator {
  private readonly trustedCas: X509Certificate[];

  constructor(@Inject(CONFIG) config: Pick<TokenServiceConfig, 'MTLS_TRUSTED_CA'>) {
    this.trustedCas = config.MTLS_TRUSTED_CA === undefined ? [] : readTrustedCas(config.MTLS_TRUSTED_CA);
  }

  /** The method that accepts the certificate for this client; else invalid_client saying why each allowed one did not. */
  authenticate(client: ClientRecord, certificate: X509Certificate, now = Date.now()): MutualTlsMethod {
    const allowed = MUTUAL_TLS_METHODS.filter((method) => client.tokenEndpointAuthMethods.includes(method));
    if (allowed.length === 0) {
      throw OAuth2Error.invalidClient('This client may not authenticate with a client certificate (its key allows neither tls_client_auth nor self_signed_tls_client_auth).');
    }
    const problems: string[] = [];
    for (const method of allowed) {
      const problem = method === 'tls_client_auth' ? this.pkiProblem(client, certificate, now) : selfSignedProblem(client, certificate);
      if (problem === null) return method;
      problems.push(allowed.length > 1 ? `${method}: ${problem}` : problem);
    }
    throw OAuth2Error.invalidClient(problems.join(' '));
  }

  /** §2.1: issued by a CA the operator trusts, for the subject DN the key registered. */
  private pkiProblem(client: ClientRecord, certificate: X509Certificate, now: number): string | null {
    const problem = chainProblem(certificate, this.trustedCas, now);
    if (problem !== null) return problem;
    const registered = client.tlsClientAuthSubjectDn ?? null;
    if (registered === null) return 'The key has no registered subject DN (tlsClientAuthSubjectDn) for tls_client_auth.';
    let subject;
    try {
      subject = readCertificate(certificate.raw).subject;
    } catch {
      return 'The subject of the client certificate cannot be read.';
    }
    let expected;
    try {
      expected = parseDistinguishedName(registered);
    } catch {
      return "The key's registered subject DN (tlsClientAuthSubjectDn) cannot be read.";
    }
    if (!sameDistinguishedName(subject, expected)) {
      return `The client certificate's subject DN (${formatDistinguishedName(subject)}) is not the key's registered tlsClientAuthSubjectDn.`;
    }
    return null;
  }
}

/**
 * Why a certificate does not pass RFC 8705 §2.1's PKI check, or null when it does: signed by one of the trusted
 * CAs (its issuer name and key identifier match, and the CA may sign certificates, as OpenSSL's
 * X509_check_issued sees it), both certificates valid now, and its extendedKeyUsage, when it has one, allowing TLS
 * client authentication. The CA must be in the trusted file itself: intermediates a client sends along are not
 * followed (docs/decisions.md, "Which certificates tls_client_auth trusts").
 */
export function chainProblem(certificate: X509Certificate, trustedCas: readonly X509Certificate[], now: number): string | null {
  if (trustedCas.length === 0) return 'This server trusts no certificate authority for tls_client_auth (MTLS_TRUSTED_CA is not set).';
  const issuer = trustedCas.find((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
  if (!issuer) return 'The client certificate was not issued by a certificate authority this server trusts.';
  for (const [what, checked] of [['client certificate', certificate], ["issuing CA's certificate", issuer]] as const) {
    let validity;
    try {
      validity = readCertificate(checked.raw);
    } catch {
      return `The ${what} cannot be read.`;
    }
    if (now < validity.notBefore) return `The ${what} is not valid yet (from ${new Date(validity.notBefore).toISOString()}).`;
    if (now > validity.notAfter) return `The ${what} has expired (${new Date(validity.notAfter).toISOString()}).`;
  }
  // node:crypto's keyUsage is the extendedKeyUsage OIDs; undefined when the certificate has no such extension.
  const usages = certificate.keyUsage as string[] | undefined;
  if (usages !== undefined && !usages.some((usage) => CLIENT_AUTH_USAGES.includes(usage))) {
    return 'The client certificate may not authenticate a TLS client (its extendedKeyUsage lacks clientAuth).';
  }
  return null;
}

/**
 * §2.2: the certificate is one the key registered in its `jwks`: a JWK whose `x5c[0]` is this certificate, or
 * whose public key is the certificate's (a renewed self-signed certificate for the same key pair goes on working;
 * the handshake proved the client holds that key). No CA and no validity dates: the registration says how long the
 * certificate is trusted (docs/decisions.md, "Which certificates self_signed_tls_client_auth accepts").
 */
export function selfSignedProblem(client: { jwks: ClientJwks | null }, certificate: X509Certificate): string | null {
  return registeredCertificate(client.jwks, certificate) ? null : 'The client certificate is not one the key registered (jwks).';
}

export function registeredCertificate(jwks: ClientJwks | null, certificate: X509Certificate): boolean {
  for (const jwk of jwks?.keys ?? []) {
    const first = Array.isArray(jwk.x5c) ? jwk.x5c[0] : undefined;
    if (typeof first === 'string' && Buffer.from(first, 'base64').equals(certificate.raw)) return true;
    if (publicKeyOf(jwk).equals(certificate.publicKey)) return true;
  }
  return false;
}

/** MTLS_TRUSTED_CA's certificates, read once at start: a file that is missing, holds none or a non-CA one stops the service. */
export function readTrustedCas(file: string): X509Certificate[] {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`MTLS_TRUSTED_CA: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`MTLS_TRUSTED_CA: ${file} holds no PEM certificate`);
  return blocks.map((block, index) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      throw new Error(`MTLS_TRUSTED_CA: certificate ${index + 1} of ${file} cannot be read`);
    }
    if (!certificate.ca) throw new Error(`MTLS_TRUSTED_CA: certificate ${index + 1} of ${file} (${certificate.subject.replace(/\n/g, ', ')}) is no CA certificate`);
    return certificate;
  });
}
