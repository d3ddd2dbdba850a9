import { parseRequest } from '@keymint/http-kit';
import { makeCertificate } from '../../../../../test/support/certificates';
import { descriptionOf } from '../../../test/bad-request';
import { GenerateKeysInputSchema, GenerateTokenInputSchema, UpdateKeyInputSchema } from './key-input';

const parseGenerateKeysInput = (body: unknown) => parseRequest(GenerateKeysInputSchema, body);
const parseUpdateKeyInput = (body: unknown) => parseRequest(UpdateKeyInputSchema, body);
const parseGenerateTokenInput = (body: unknown) => parseRequest(GenerateTokenInputSchema, body);

describe('key input', () => {
  it('fills WSO2 defaults', () => {
    expect(parseGenerateKeysInput({ keyType: 'SANDBOX' })).toEqual({
      keyType: 'SANDBOX',
      grantTypes: ['client_credentials'],
      scopes: [],
      validityTime: 3600,
      callbackUrl: '',
    });
  });

  it('accepts validityTime as a numeric string', () => {
    expect(parseGenerateKeysInput({ keyType: 'PRODUCTION', validityTime: '120' }).validityTime).toBe(120);
    expect(parseUpdateKeyInput({ validityTime: 60 })).toEqual({ grantTypes: undefined, scopes: undefined, validityTime: 60, callbackUrl: undefined });
  });

  it('names what is wrong', () => {
    expect(descriptionOf(() => parseGenerateKeysInput({}))).toContain("'keyType'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'TEST' }))).toContain("'keyType'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', grantTypesToBeSupported: ['password', 'implicit'] }))).toContain(
      "'implicit'",
    );
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', validityTime: -5 }))).toContain("'validityTime'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', scopes: ['bad scope'] }))).toContain("'bad scope'");
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'SANDBOX', callbackUrl: 'not a url' }))).toContain("'callbackUrl'");
    expect(descriptionOf(() => parseUpdateKeyInput({ supportedGrantTypes: [] }))).toContain("'supportedGrantTypes'");
    expect(descriptionOf(() => parseGenerateTokenInput({}))).toBe("'consumerSecret' is required.");
    expect(descriptionOf(() => parseGenerateTokenInput({ consumerSecret: 's', validityPeriod: 0 }))).toContain("'validityPeriod'");
  });

  it('keeps -1 as "the key\'s validityTime" for generate-token', () => {
    expect(parseGenerateTokenInput({ consumerSecret: 's', validityPeriod: -1, scopes: ['a'] })).toEqual({
      consumerSecret: 's',
      validityPeriod: -1,
      scopes: ['a'],
    });
  });

  it("takes a tls_client_auth subject DN it can compare, '' to remove it, and says what is wrong with one it cannot read", () => {
    expect(parseGenerateKeysInput({ keyType: 'SANDBOX', tlsClientAuthSubjectDn: ' CN=client-1, O=Example Corp ' }).tlsClientAuthSubjectDn).toBe('CN=client-1, O=Example Corp');
    expect(parseUpdateKeyInput({ tlsClientAuthSubjectDn: '' }).tlsClientAuthSubjectDn).toBeNull();
    expect(descriptionOf(() => parseUpdateKeyInput({ tlsClientAuthSubjectDn: 'CN=a;O=b' }))).toBe(
      `'tlsClientAuthSubjectDn' must be an RFC 4514 name such as CN=client-1,O=Example Corp,C=US; this one has an unescaped ";" at position 5 (write \\;).`,
    );
    expect(descriptionOf(() => parseUpdateKeyInput({ tlsClientAuthSubjectDn: 'Nick=x' }))).toContain('does not know (Nick;');
    expect(descriptionOf(() => parseUpdateKeyInput({ tlsClientAuthSubjectDn: 42 }))).toContain("'tlsClientAuthSubjectDn'");
  });

  it('takes a JWK with its certificate (x5c) for self_signed_tls_client_auth, only when the certificate is of that key', () => {
    const certificate = makeCertificate({ subject: 'CN=self-signed' });
    const other = makeCertificate({ subject: 'CN=other' });
    const jwk = { ...certificate.publicKey.export({ format: 'jwk' }), x5c: [certificate.certificate.raw.toString('base64')] };
    expect(parseUpdateKeyInput({ jwks: { keys: [jwk] } }).jwks).toEqual({ keys: [jwk] });
    const refused = (x5c: unknown) => descriptionOf(() => parseUpdateKeyInput({ jwks: { keys: [{ ...jwk, x5c }] } }));
    expect(refused([other.certificate.raw.toString('base64')])).toBe("'jwks.keys[0]'.x5c[0] certifies another key than the JWK's own.");
    expect(refused([certificate.certificate.raw.toString('base64url')])).toMatch(/base64 \(not base64url\) DER/);
    expect(refused([])).toMatch(/list of 1 to 5 certificates/);
    expect(refused(['AAAA'])).toBe("'jwks.keys[0]'.x5c[0] is not an X.509 certificate.");
  });
});
