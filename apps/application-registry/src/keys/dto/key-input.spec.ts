import { generateKeyPairSync } from 'node:crypto';
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
      resources: [],
      requireDpop: false,
    });
  });

  it('refuses RSA public keys whose every signature check would cost milliseconds: over 4096 bits, or an exponent over 32 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const refused = (key: Record<string, unknown>) => descriptionOf(() => parseUpdateKeyInput({ jwks: { keys: [key] } }));
    const hugeModulus = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(1023, 0x5a), Buffer.from([0x01])]).toString('base64url');
    expect(refused({ kty: 'RSA', e: 'AQAB', n: hugeModulus })).toMatch(/at most 4096 bits/);
    expect(refused({ ...jwk, e: Buffer.from([2, 0, 0, 0, 1]).toString('base64url') })).toMatch(/exponent must fit in 32 bits/);
    expect(parseUpdateKeyInput({ jwks: { keys: [jwk] } }).jwks).toEqual({ keys: [jwk] });
  });

  it('takes requireDpop as a JSON boolean, and keeps it on an update that leaves it out', () => {
    expect(parseGenerateKeysInput({ keyType: 'PRODUCTION', requireDpop: true }).requireDpop).toBe(true);
    expect(parseUpdateKeyInput({ requireDpop: false }).requireDpop).toBe(false);
    expect(parseUpdateKeyInput({ validityTime: 60 }).requireDpop).toBeUndefined();
    expect(descriptionOf(() => parseGenerateKeysInput({ keyType: 'PRODUCTION', requireDpop: 'true' }))).toBe("'requireDpop' must be true or false.");
    expect(descriptionOf(() => parseUpdateKeyInput({ requireDpop: 1 }))).toBe("'requireDpop' must be true or false.");
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

  it('takes resources as distinct absolute URIs without a fragment, kept as sent', () => {
    const resources = ['https://api.example.com/orders', 'urn:example:billing', 'https://api.example.com/orders/'];
    expect(parseGenerateKeysInput({ keyType: 'PRODUCTION', resources }).resources).toEqual(resources);
    expect(parseUpdateKeyInput({ resources: [] }).resources).toEqual([]);
    expect(parseUpdateKeyInput({}).resources).toBeUndefined();
    const twenty = Array.from({ length: 20 }, (_, index) => `https://api.example.com/${index}`);
    expect(parseUpdateKeyInput({ resources: twenty }).resources).toEqual(twenty);
    expect(parseUpdateKeyInput({ resources: [`https://api.example.com/${'a'.repeat(1976)}`] }).resources).toHaveLength(1);
  });

  it.each<[string, unknown, string | RegExp]>([
    ['a relative URI', ['/orders'], "'resources' item '/orders' is not an absolute URI (RFC 3986 section 4.3: a scheme such as https: first, then URI characters only, %-encoded otherwise)."],
    ['a host without a scheme', ['api.example.com'], "'resources' item 'api.example.com' is not an absolute URI (RFC 3986 section 4.3: a scheme such as https: first, then URI characters only, %-encoded otherwise)."],
    ['a fragment', ['https://api.example.com/#orders'], /'resources' item 'https:\/\/api\.example\.com\/#orders' has a fragment/],
    ['a space', ['https://api.example.com/a b'], /is not an absolute URI/],
    ['a non-ASCII character', ['https://api.example.com/é'], /'https:\/\/api\.example\.com\/\?' is not an absolute URI/],
    ['an empty item', [''], "Each item of 'resources' must be 1 to 2000 characters long."],
    ['a URI over 2000 characters', [`https://api.example.com/${'a'.repeat(1977)}`], "Each item of 'resources' must be 1 to 2000 characters long."],
    ['21 resources', Array.from({ length: 21 }, (_, index) => `https://api.example.com/${index}`), "'resources' may hold at most 20 items."],
    ['a repeated resource', ['https://a.example', 'https://b.example', 'https://a.example'], "'resources' lists 'https://a.example' more than once."],
    ['a string', 'https://a.example', "'resources' must be an array of strings."],
    ['a number item', [1], "'resources' must be an array of strings."],
  ])('refuses %s in resources', (_name, resources, description) => {
    for (const parse of [() => parseGenerateKeysInput({ keyType: 'SANDBOX', resources }), () => parseUpdateKeyInput({ resources })]) {
      if (typeof description === 'string') expect(descriptionOf(parse)).toBe(description);
      else expect(descriptionOf(parse)).toMatch(description);
    }
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
