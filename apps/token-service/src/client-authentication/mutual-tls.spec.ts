import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientRecord, TokenEndpointAuthMethod } from '@keymint/contracts';
import { Database } from '@keymint/persistence';
import { SignInLimiter } from '@keymint/sign-in-limiter';
import { CLIENT_AUTH, makeCertificate, SERVER_AUTH, TestCertificate } from '../../../../test/support/certificates';
import { JtiReplays } from '../oauth2/jti-replays';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { requestConfirmation } from '../token-endpoint/token-endpoint.service';
import { ClientAuthenticator } from './client-authenticator';
import { ClientCache } from './client-cache';
import { certificateThumbprint } from './client-certificate';
import { chainProblem, MutualTlsAuthenticator, readTrustedCas, registeredCertificate } from './mutual-tls';
import { presentedCredentials } from './presented-credentials';

const NOW = Date.now();
const HOUR = 3600_000;
const ca = makeCertificate({ subject: 'CN=Test Client CA,O=Example', ca: true });
const otherCa = makeCertificate({ subject: 'CN=Other CA,O=Elsewhere', ca: true });
const issued = makeCertificate({ subject: 'CN=client-1,O=Example,C=US', issuer: ca, extendedKeyUsage: [CLIENT_AUTH] });
const selfSigned = makeCertificate({ subject: 'CN=self-signed client' });

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuth2Error);
    expect((error as OAuth2Error).code).toBe('invalid_client');
    expect((error as OAuth2Error).getStatus()).toBe(401);
    return (error as OAuth2Error).description;
  }
  throw new Error('accepted');
}

describe('chainProblem (tls_client_auth, RFC 8705 §2.1)', () => {
  it('accepts a certificate a trusted CA issued, with or without an extendedKeyUsage that allows clientAuth', () => {
    expect(chainProblem(issued.certificate, [otherCa.certificate, ca.certificate], NOW)).toBeNull();
    expect(chainProblem(makeCertificate({ subject: 'CN=no-eku', issuer: ca }).certificate, [ca.certificate], NOW)).toBeNull();
  });

  it.each<[string, () => TestCertificate, RegExp]>([
    ['a self-signed certificate', () => selfSigned, /not issued by a certificate authority this server trusts/],
    ['one of an untrusted CA', () => makeCertificate({ subject: 'CN=client-1,O=Example,C=US', issuer: otherCa }), /not issued by a certificate authority/],
    [
      'a forged CA of the same name (another key)',
      () => makeCertificate({ subject: 'CN=client-1,O=Example,C=US', issuer: makeCertificate({ subject: 'CN=Test Client CA,O=Example', ca: true }) }),
      /not issued by a certificate authority/,
    ],
    ["one a trusted CA's client issued (no CA itself)", () => makeCertificate({ subject: 'CN=grandchild', issuer: issued }), /not issued by a certificate authority/],
    ['an expired one', () => makeCertificate({ subject: 'CN=old', issuer: ca, notBefore: new Date(NOW - 48 * HOUR), notAfter: new Date(NOW - HOUR) }), /client certificate has expired/],
    ['one not valid yet', () => makeCertificate({ subject: 'CN=early', issuer: ca, notBefore: new Date(NOW + HOUR) }), /client certificate is not valid yet/],
    ['one for TLS servers only', () => makeCertificate({ subject: 'CN=server', issuer: ca, extendedKeyUsage: [SERVER_AUTH] }), /lacks clientAuth/],
  ])('refuses %s', (_name, make, reason) => {
    expect(chainProblem(make().certificate, [ca.certificate], NOW)).toMatch(reason);
  });

  it("refuses a certificate of an expired CA, and everything when no CA is trusted", () => {
    const expiredCa = makeCertificate({ subject: 'CN=Expired CA', ca: true, notBefore: new Date(NOW - 48 * HOUR), notAfter: new Date(NOW - HOUR) });
    const child = makeCertificate({ subject: 'CN=child', issuer: expiredCa });
    expect(chainProblem(child.certificate, [expiredCa.certificate], NOW)).toMatch(/issuing CA's certificate has expired/);
    expect(chainProblem(issued.certificate, [], NOW)).toMatch(/MTLS_TRUSTED_CA is not set/);
  });
});

describe('readTrustedCas (MTLS_TRUSTED_CA)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'keymint-mtls-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads every CA of a bundle', () => {
    expect(readTrustedCas(file('bundle.pem', ca.pem + otherCa.pem)).map((certificate) => certificate.subject)).toEqual([ca.certificate.subject, otherCa.certificate.subject]);
  });

  it('stops the start on a missing file, one without certificates, or a certificate that is no CA', () => {
    expect(() => readTrustedCas(join(dir, 'missing.pem'))).toThrow(/cannot read .*ENOENT/);
    expect(() => readTrustedCas(file('empty.pem', 'nothing here'))).toThrow(/holds no PEM certificate/);
    expect(() => readTrustedCas(file('leaf.pem', ca.pem + issued.pem))).toThrow(/certificate 2 of .* is no CA certificate/);
  });
});

describe('registeredCertificate (self_signed_tls_client_auth, RFC 8705 §2.2)', () => {
  const jwk = (certificate: TestCertificate, extra: Record<string, unknown> = {}) => ({ ...(certificate.publicKey.export({ format: 'jwk' }) as { kty: string }), ...extra });

  it("matches a JWK with the certificate's public key, or one whose x5c[0] is the certificate", () => {
    expect(registeredCertificate({ keys: [jwk(issued), jwk(selfSigned)] }, selfSigned.certificate)).toBe(true);
    expect(registeredCertificate({ keys: [jwk(selfSigned, { x5c: [selfSigned.certificate.raw.toString('base64')] })] }, selfSigned.certificate)).toBe(true);
    // A renewed certificate for the same key pair.
    const renewed = makeCertificate({ subject: 'CN=self-signed client', keyPair: selfSigned });
    expect(registeredCertificate({ keys: [jwk(selfSigned)] }, renewed.certificate)).toBe(true);
  });

  it('matches nothing else', () => {
    expect(registeredCertificate({ keys: [jwk(issued)] }, selfSigned.certificate)).toBe(false);
    expect(registeredCertificate(null, selfSigned.certificate)).toBe(false);
    expect(registeredCertificate({ keys: [] }, selfSigned.certificate)).toBe(false);
  });
});

describe('MutualTlsAuthenticator', () => {
  let dir: string;
  let authenticator: MutualTlsAuthenticator;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-mtls-'));
    writeFileSync(join(dir, 'ca.pem'), ca.pem);
    authenticator = new MutualTlsAuthenticator({ MTLS_TRUSTED_CA: join(dir, 'ca.pem') });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const client = (methods: TokenEndpointAuthMethod[], fields: Partial<ClientRecord> = {}) =>
    ({ consumerKey: 'key', tokenEndpointAuthMethods: methods, jwks: null, tlsClientAuthSubjectDn: 'CN=client-1, O=Example, C=US', ...fields }) as ClientRecord;
  const registered = { keys: [selfSigned.publicKey.export({ format: 'jwk' }) as { kty: string }] };

  it('takes the method of the key that accepts the certificate', () => {
    expect(authenticator.authenticate(client(['tls_client_auth']), issued.certificate)).toBe('tls_client_auth');
    expect(authenticator.authenticate(client(['tls_client_auth'], { tlsClientAuthSubjectDn: 'cn=Client-1 ,o=EXAMPLE,c=us' }), issued.certificate)).toBe('tls_client_auth');
    // The same RDNs the other way round are another name.
    expect(() => authenticator.authenticate(client(['tls_client_auth'], { tlsClientAuthSubjectDn: 'C=US,O=Example,CN=client-1' }), issued.certificate)).toThrow(OAuth2Error);
    expect(authenticator.authenticate(client(['self_signed_tls_client_auth'], { jwks: registered }), selfSigned.certificate)).toBe('self_signed_tls_client_auth');
    const both = client(['tls_client_auth', 'self_signed_tls_client_auth'], { jwks: registered });
    expect(authenticator.authenticate(both, issued.certificate)).toBe('tls_client_auth');
    expect(authenticator.authenticate(both, selfSigned.certificate)).toBe('self_signed_tls_client_auth');
  });

  it('says why it refuses', () => {
    expect(refusal(() => authenticator.authenticate(client(['client_secret_basic']), issued.certificate))).toMatch(/may not authenticate with a client certificate/);
    expect(refusal(() => authenticator.authenticate(client(['tls_client_auth'], { tlsClientAuthSubjectDn: 'CN=client-2,O=Example,C=US' }), issued.certificate))).toBe(
      "The client certificate's subject DN (CN=client-1,O=Example,C=US) is not the key's registered tlsClientAuthSubjectDn.",
    );
    expect(refusal(() => authenticator.authenticate(client(['tls_client_auth'], { tlsClientAuthSubjectDn: null }), issued.certificate))).toMatch(/no registered subject DN/);
    expect(refusal(() => authenticator.authenticate(client(['tls_client_auth'], { tlsClientAuthSubjectDn: undefined }), issued.certificate))).toMatch(/no registered subject DN/);
    expect(refusal(() => authenticator.authenticate(client(['tls_client_auth']), selfSigned.certificate))).toMatch(/not issued by a certificate authority this server trusts/);
    expect(refusal(() => authenticator.authenticate(client(['self_signed_tls_client_auth'], { jwks: registered }), issued.certificate))).toMatch(/not one the key registered/);
    expect(refusal(() => authenticator.authenticate(client(['tls_client_auth', 'self_signed_tls_client_auth'], { jwks: registered }), otherCa.certificate))).toBe(
      'tls_client_auth: The client certificate was not issued by a certificate authority this server trusts. ' +
        'self_signed_tls_client_auth: The client certificate is not one the key registered (jwks).',
    );
  });

  it('trusts no CA without MTLS_TRUSTED_CA', () => {
    expect(refusal(() => new MutualTlsAuthenticator({}).authenticate(client(['tls_client_auth']), issued.certificate))).toMatch(/MTLS_TRUSTED_CA is not set/);
  });
});

describe('mutual TLS in the request opening and client authentication', () => {
  it('takes client_id with a certificate as mutual TLS, and a certificate beside other credentials only for binding', () => {
    expect(presentedCredentials(undefined, { client_id: 'key' }, issued.certificate)).toEqual({ method: 'mutual_tls', clientId: 'key', certificate: issued.certificate });
    const basic = `Basic ${Buffer.from('key:secret').toString('base64')}`;
    expect(presentedCredentials(basic, {}, issued.certificate).method).toBe('client_secret_basic');
    expect(presentedCredentials(undefined, { client_id: 'key', client_secret: 's' }, issued.certificate).method).toBe('client_secret_post');
  });

  it('refuses client_id alone without a certificate, and a certificate without client_id', () => {
    expect(refusal(() => presentedCredentials(undefined, { client_id: 'key' }))).toMatch(/client_id alone authenticates only with a client certificate/);
    expect(refusal(() => presentedCredentials(undefined, {}, issued.certificate))).toBe('Client authentication is required.');
  });

  it('counts a refused certificate against the failure limit like a wrong secret', async () => {
    const record = { consumerKey: 'key', keyState: 'ACTIVE', tokenEndpointAuthMethods: ['self_signed_tls_client_auth'], jwks: null, secrets: [] } as unknown as ClientRecord;
    const authenticator = new ClientAuthenticator(
      { ISSUER: 'https://localhost:8243/oauth2/token' },
      { get: async () => record } as unknown as ClientCache,
      new SignInLimiter(2),
      new JtiReplays({ postgres: false } as Database),
      { record: () => undefined } as never,
      new MutualTlsAuthenticator({}),
    );
    const codes = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      codes.push(await authenticator.authenticate({ method: 'mutual_tls', clientId: 'key', certificate: selfSigned.certificate }, '192.0.2.1', 'token', undefined).then(() => 'ok', (error: OAuth2Error) => error.code));
    }
    expect(codes).toEqual(['invalid_client', 'invalid_client', 'too_many_requests']);
  });

  it('binds the tokens of a request with a certificate to its SHA-256 thumbprint (x5t#S256), and no others', () => {
    const thumbprint = createHash('sha256').update(issued.certificate.raw).digest('base64url');
    expect(certificateThumbprint(issued.certificate)).toBe(thumbprint);
    expect(requestConfirmation({ certificate: issued.certificate })).toEqual({ 'x5t#S256': thumbprint });
    expect(requestConfirmation({})).toBeUndefined();
  });
});
