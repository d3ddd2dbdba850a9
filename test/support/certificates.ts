import { generateKeyPairSync, KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { parseDistinguishedName } from '@keymint/contracts';

/**
 * X.509 certificates for the tests, made at run time with node:crypto alone (no openssl on the machine needed):
 * a test CA, certificates it issues, self-signed ones. DER written by hand, as RFC 5280 §4.1 lays it out.
 */
export interface TestCertificate {
  certificate: X509Certificate;
  /** PEM of the certificate, and of its private key (PKCS #8). */
  pem: string;
  keyPem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The DER of its subject: the issuer name of the certificates it signs. */
  subjectDer: Buffer;
}

export interface CertificateOptions {
  /** RFC 4514, e.g. "CN=client-1,O=Example,C=US"; a `+` makes a multi-valued RDN. */
  subject: string;
  /** The CA that signs it; absent: self-signed. */
  issuer?: TestCertificate;
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** extendedKeyUsage OIDs; absent: no such extension. */
  extendedKeyUsage?: string[];
  /** Attribute type OID → DER string tag, to write a value as e.g. a BMPString (0x1e). Default: UTF8String, PrintableString for C. */
  valueTags?: Record<string, number>;
  /** Reuse a key pair (a renewed certificate for the same key). */
  keyPair?: { privateKey: KeyObject; publicKey: KeyObject };
}

export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export function makeCertificate(options: CertificateOptions): TestCertificate {
  const keys = options.keyPair ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = nameDer(options.subject, options.valueTags);
  const issuerName = options.issuer?.subjectDer ?? subject;
  const signingKey = options.issuer?.privateKey ?? keys.privateKey;
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 24 * 3600_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const extensions = [
    extension('2.5.29.19', true, sequence(options.ca ? [tlv(0x01, Buffer.from([0xff]))] : [])),
    // keyCertSign + cRLSign for a CA, digitalSignature for a client.
    extension('2.5.29.15', true, options.ca ? tlv(0x03, Buffer.from([0x01, 0x06])) : tlv(0x03, Buffer.from([0x07, 0x80]))),
    ...(options.extendedKeyUsage ? [extension('2.5.29.37', false, sequence(options.extendedKeyUsage.map(oid)))] : []),
  ];
  const algorithm = sequence([oid('1.2.840.10045.4.3.2')]);
  const tbs = sequence([
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))),
    tlv(0x02, serial),
    algorithm,
    issuerName,
    sequence([time(notBefore), time(notAfter)]),
    subject,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, sequence(extensions)),
  ]);
  const signature = sign('sha256', tbs, signingKey);
  const der = sequence([tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]);
  const certificate = new X509Certificate(der);
  return {
    certificate,
    pem: certificate.toString(),
    keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    subjectDer: subject,
  };
}

/** base64url(SHA-256(DER)): the `x5t#S256` a token bound to this certificate carries. */
export function thumbprintOf(certificate: TestCertificate): string {
  return Buffer.from(certificate.certificate.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');
}

function nameDer(text: string, valueTags: Record<string, number> = {}): Buffer {
  return sequence(
    parseDistinguishedName(text).map((rdn) =>
      tlv(
        0x31,
        Buffer.concat(
          rdn.map(({ type, value }) => {
            const tag = valueTags[type] ?? (type === '2.5.4.6' ? 0x13 : 0x0c);
            const content = tag === 0x1e ? Buffer.from(value, 'utf16le').swap16() : Buffer.from(value, tag === 0x0c ? 'utf8' : 'latin1');
            return sequence([oid(type), tlv(tag, content)]);
          }),
        ),
      ),
    ),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence([oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value)]);
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function oid(text: string): Buffer {
  const [first, second, ...rest] = text.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) groups.unshift((value & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function sequence(items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let value = length; value > 0; value = Math.floor(value / 256)) bytes.unshift(value & 0xff);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}
