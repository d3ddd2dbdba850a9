import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from '../../../test/support/certificates';
import { DistinguishedNameError, formatDistinguishedName, parseDistinguishedName, readCertificate, sameDistinguishedName } from './x509';

const same = (a: string, b: string) => sameDistinguishedName(parseDistinguishedName(a), parseDistinguishedName(b));
const problem = (text: string) => {
  try {
    parseDistinguishedName(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DistinguishedNameError);
    return (error as Error).message;
  }
  throw new Error(`${text} was read`);
};

describe('RFC 4514 subject DNs', () => {
  it('reads RDNs into the certificate order, attribute names into OIDs', () => {
    expect(parseDistinguishedName('CN=client-1,O=Example Corp,C=US')).toEqual([
      [{ type: '2.5.4.6', value: 'US', form: 'string' }],
      [{ type: '2.5.4.10', value: 'Example Corp', form: 'string' }],
      [{ type: '2.5.4.3', value: 'client-1', form: 'string' }],
    ]);
    expect(parseDistinguishedName('cn=a+UID=b')).toEqual([
      [
        { type: '2.5.4.3', value: 'a', form: 'string' },
        { type: '0.9.2342.19200300.100.1.1', value: 'b', form: 'string' },
      ],
    ]);
  });

  it('undoes escapes: specials, hex bytes (UTF-8), and # values (DER)', () => {
    expect(parseDistinguishedName('CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i')[0][0].value).toBe('a,b+c"d\\e<f>g;h=i');
    expect(parseDistinguishedName('CN=Lu\\C4\\8Di\\C4\\87')[0][0].value).toBe('Lučić');
    expect(parseDistinguishedName('CN=\\#not-hex\\ ')[0][0].value).toBe('#not-hex ');
    // 0x0c 0x03 "abc": a UTF8String written as hex is the string itself; an INTEGER stays DER.
    expect(parseDistinguishedName('CN=#0c03616263')[0][0]).toEqual({ type: '2.5.4.3', value: 'abc', form: 'string' });
    expect(parseDistinguishedName('1.2.3.4=#020105')[0][0]).toEqual({ type: '1.2.3.4', value: '020105', form: 'der' });
    expect(parseDistinguishedName('OID.2.5.4.3=x')[0][0].type).toBe('2.5.4.3');
  });

  it.each([
    ['', /is empty/],
    ['CN', /needs "="/],
    ['CN=a,', /ends with ","/],
    ['CN=a,,O=b', /needs an attribute type/],
    ['Nickname=a', /does not know \(Nickname;/],
    ['CN="quoted"', /unescaped "\\""/],
    ['CN=a;O=b', /unescaped ";"/],
    ['CN=a\\zz', /bad escape/],
    ['CN=\\FF\\FE', /not UTF-8/],
    ['CN=#0c', /not well-formed DER|malformed hex/],
    ['1.02.3=a', /malformed OID/],
  ])('refuses %j', (text, reason) => {
    expect(problem(text)).toMatch(reason);
  });

  it('refuses a name longer than 1024 characters', () => {
    expect(problem(`CN=${'x'.repeat(1100)}`)).toMatch(/longer than 1024/);
  });

  it('compares after normalisation: case, white space, NFKC, attribute names, spaces around separators, RDN attribute order', () => {
    expect(same('CN=Client One,O=Example,C=US', 'cn=client  one, o=EXAMPLE , c=us')).toBe(true);
    expect(same('CN=ﬁle', 'CN=file')).toBe(true);
    expect(same('commonName=a,organizationName=b', 'CN=a,O=b')).toBe(true);
    expect(same('CN=a+OU=b,O=c', 'OU=b+CN=a,O=c')).toBe(true);
    expect(same('2.5.4.3=a', 'CN=a')).toBe(true);
  });

  it('tells different names apart: another value, order, an RDN more or less, multi-valued versus separate RDNs', () => {
    expect(same('CN=client-1,O=Example', 'CN=client-2,O=Example')).toBe(false);
    expect(same('CN=a,O=b', 'O=b,CN=a')).toBe(false);
    expect(same('CN=a,O=b', 'CN=a,O=b,C=US')).toBe(false);
    expect(same('CN=a+O=b', 'CN=a,O=b')).toBe(false);
    expect(same('CN=a+O=b', 'O=b,CN=a')).toBe(false);
    expect(same('CN=a', 'OU=a')).toBe(false);
    expect(same('CN=\\#abc', 'CN=#0c03616263')).toBe(false);
  });

  it('writes names back as RFC 4514 strings', () => {
    const text = 'CN=a\\,b+UID=x,O=Example,1.2.3.4=#020105';
    expect(formatDistinguishedName(parseDistinguishedName(text))).toBe(text);
    expect(formatDistinguishedName(parseDistinguishedName('CN=\\ lead and trail\\ '))).toBe('CN=\\ lead and trail\\ ');
  });
});

describe('readCertificate', () => {
  it("reads a certificate's subject (string types of every kind) and validity", () => {
    const notBefore = new Date('2026-01-02T03:04:05Z');
    const notAfter = new Date('2051-01-01T00:00:00Z');
    const made = makeCertificate({ subject: 'CN=Łódź client+UID=u1,O=Example,C=PL', notBefore, notAfter, valueTags: { '2.5.4.10': 0x1e } });
    const read = readCertificate(made.certificate.raw);
    expect(read.notBefore).toBe(notBefore.getTime());
    expect(read.notAfter).toBe(notAfter.getTime());
    expect(sameDistinguishedName(read.subject, parseDistinguishedName('UID=u1+CN=łódź CLIENT,O=example,C=pl'))).toBe(true);
    expect(formatDistinguishedName(read.subject)).toBe('CN=Łódź client+UID=u1,O=Example,C=PL');
  });

  it('refuses what is no certificate', () => {
    expect(() => readCertificate(Buffer.from('3003020101', 'hex'))).toThrow(DistinguishedNameError);
    expect(() => readCertificate(Buffer.from('30ff', 'hex'))).toThrow(/not well-formed DER/);
  });

  // The hand-written DER of the test certificates is what openssl reads too (where openssl is installed).
  const openssl = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((path) => existsSync(path));
  (openssl ? it : it.skip)('agrees with openssl on a CA-issued certificate', () => {
    const ca = makeCertificate({ subject: 'CN=Test CA,O=Example', ca: true });
    const client = makeCertificate({ subject: 'CN=client-1,O=Example', issuer: ca, extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'] });
    const dir = mkdtempSync(join(tmpdir(), 'keymint-x509-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.pem);
      writeFileSync(join(dir, 'client.pem'), client.pem);
      const verified = execFileSync(openssl!, ['verify', '-purpose', 'sslclient', '-CAfile', join(dir, 'ca.pem'), join(dir, 'client.pem')]).toString();
      expect(verified).toContain('OK');
      const subject = execFileSync(openssl!, ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', join(dir, 'client.pem')]).toString();
      expect(subject.trim()).toBe(`subject=${formatDistinguishedName(readCertificate(client.certificate.raw).subject)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
