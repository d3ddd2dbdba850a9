/**
 * X.509 subject names as RFC 8705 §2.1.2's `tls_client_auth_subject_dn` needs them: the registry reads the
 * name a key registers (an RFC 4514 string) and refuses one it cannot read; the token service reads the name a
 * client certificate carries (DER) and compares the two. Both sides read names with this one file, so what
 * the registry accepts is what the token service compares (docs/decisions.md, "Comparing subject DNs").
 */

/** One attribute of a relative distinguished name (RDN): its type as a dotted OID, and its value. */
export interface DnAttribute {
  type: string;
  /** A string value (escapes undone); for a value that is no string, the hex of its DER encoding. */
  value: string;
  form: 'string' | 'der';
}

/**
 * RDNs in the certificate's order, the most significant first (`C`, then `O`, … then `CN`): an RFC 4514
 * string lists them the other way round. An RDN usually holds one attribute; a multi-valued one (`+`) more.
 */
export type DistinguishedName = DnAttribute[][];

export class DistinguishedNameError extends Error {}

/** Attribute types by OID: the first name is the one names are written with, the others are read too (any case). */
const ATTRIBUTE_TYPES: ReadonlyArray<readonly [oid: string, name: string, ...aliases: string[]]> = [
  ['2.5.4.3', 'CN', 'commonName'],
  ['2.5.4.4', 'SN', 'surname'],
  ['2.5.4.5', 'serialNumber'],
  ['2.5.4.6', 'C', 'countryName'],
  ['2.5.4.7', 'L', 'localityName'],
  ['2.5.4.8', 'ST', 'stateOrProvinceName', 'S'],
  ['2.5.4.9', 'STREET', 'streetAddress'],
  ['2.5.4.10', 'O', 'organizationName'],
  ['2.5.4.11', 'OU', 'organizationalUnitName'],
  ['2.5.4.12', 'title'],
  ['2.5.4.15', 'businessCategory'],
  ['2.5.4.17', 'postalCode'],
  ['2.5.4.42', 'GN', 'givenName'],
  ['2.5.4.43', 'initials'],
  ['2.5.4.44', 'generationQualifier'],
  ['2.5.4.46', 'dnQualifier'],
  ['2.5.4.65', 'pseudonym'],
  ['2.5.4.97', 'organizationIdentifier'],
  ['0.9.2342.19200300.100.1.1', 'UID', 'userId'],
  ['0.9.2342.19200300.100.1.25', 'DC', 'domainComponent'],
  ['1.2.840.113549.1.9.1', 'emailAddress', 'E', 'email'],
  ['1.3.6.1.4.1.311.60.2.1.1', 'jurisdictionL', 'jurisdictionLocalityName'],
  ['1.3.6.1.4.1.311.60.2.1.2', 'jurisdictionST', 'jurisdictionStateOrProvinceName'],
  ['1.3.6.1.4.1.311.60.2.1.3', 'jurisdictionC', 'jurisdictionCountryName'],
];
const OID_BY_NAME = new Map(ATTRIBUTE_TYPES.flatMap(([oid, ...names]) => names.map((name) => [name.toLowerCase(), oid] as const)));
const NAME_BY_OID = new Map(ATTRIBUTE_TYPES.map(([oid, name]) => [oid, name]));

/** Longest subject DN accepted anywhere: names this long are mistakes (a certificate's subject is far shorter). */
export const MAX_DISTINGUISHED_NAME_LENGTH = 1024;

// ---------------------------------------------------------------------------------------------- RFC 4514 strings

/**
 * An RFC 4514 string (`CN=client-1,O=Example Corp,C=US`) read as a name. Besides RFC 4514 it takes spaces
 * around `,`, `+` and `=` (as people write names), and attribute names in any case; it refuses what it cannot
 * read unambiguously (an unknown attribute name, an unescaped `"`, `;`, `<` or `>`, bad escapes or hex).
 */
export function parseDistinguishedName(text: string): DistinguishedName {
  if (text.length > MAX_DISTINGUISHED_NAME_LENGTH) throw new DistinguishedNameError(`is longer than ${MAX_DISTINGUISHED_NAME_LENGTH} characters`);
  if (text.trim() === '') throw new DistinguishedNameError('is empty');
  const reader = { text, at: 0 };
  const rdns: DistinguishedName = [];
  for (;;) {
    const rdn: DnAttribute[] = [];
    for (;;) {
      skipSpaces(reader);
      const type = readAttributeType(reader);
      skipSpaces(reader);
      if (reader.text[reader.at] !== '=') throw new DistinguishedNameError(`needs "=" after ${JSON.stringify(text.slice(0, reader.at).trim())}`);
      reader.at += 1;
      skipSpaces(reader);
      rdn.push({ type, ...readAttributeValue(reader) });
      if (reader.text[reader.at] !== '+') break;
      reader.at += 1;
    }
    rdns.push(rdn);
    if (reader.at === text.length) break;
    // readAttributeValue stops at the end, a "+" or a ",": here only a "," is left.
    reader.at += 1;
  }
  return rdns.reverse();
}

interface Reader {
  text: string;
  at: number;
}

function skipSpaces(reader: Reader): void {
  while (reader.text[reader.at] === ' ') reader.at += 1;
}

function readAttributeType(reader: Reader): string {
  const match = /^(?:(?:oid\.)?(\d+(?:\.\d+)+)|([A-Za-z][A-Za-z0-9-]*))/i.exec(reader.text.slice(reader.at));
  if (!match) throw new DistinguishedNameError(`needs an attribute type (such as CN, O or a dotted OID) at position ${reader.at + 1}`);
  reader.at += match[0].length;
  if (match[1] !== undefined) {
    if (match[1].split('.').some((arc) => arc.length > 1 && arc.startsWith('0'))) throw new DistinguishedNameError(`has a malformed OID ${match[1]}`);
    return match[1];
  }
  const oid = OID_BY_NAME.get(match[2].toLowerCase());
  if (!oid) throw new DistinguishedNameError(`has an attribute type keymint does not know (${match[2]}; write its dotted OID instead)`);
  return oid;
}

const SPECIALS = new Set([',', '+', '"', '\\', '<', '>', ';', '=', '#', ' ']);
const MUST_ESCAPE = new Set(['"', ';', '<', '>']);

function readAttributeValue(reader: Reader): Omit<DnAttribute, 'type'> {
  const { text } = reader;
  if (text[reader.at] === '#') {
    const hex = /^#((?:[0-9a-fA-F]{2})+)/.exec(text.slice(reader.at));
    if (!hex) throw new DistinguishedNameError(`has a malformed hex value at position ${reader.at + 1}`);
    reader.at += hex[0].length;
    skipSpaces(reader);
    endOfValue(reader);
    const der = Buffer.from(hex[1], 'hex');
    const element = readElement(der, 0, 'a hex value');
    if (element.end !== der.length) throw new DistinguishedNameError('has a hex value that is not one DER element');
    return attributeValue(element);
  }
  const bytes: number[] = [];
  // Spaces at the end of a value separate it from the next "," or "+", unless escaped.
  let significant = 0;
  while (reader.at < text.length && text[reader.at] !== ',' && text[reader.at] !== '+') {
    const char = text[reader.at];
    if (char === '\\') {
      const next = text[reader.at + 1];
      if (next !== undefined && SPECIALS.has(next)) {
        bytes.push(next.charCodeAt(0));
        reader.at += 2;
      } else if (/^[0-9a-fA-F]{2}$/.test(text.slice(reader.at + 1, reader.at + 3))) {
        bytes.push(parseInt(text.slice(reader.at + 1, reader.at + 3), 16));
        reader.at += 3;
      } else {
        throw new DistinguishedNameError(`has a bad escape at position ${reader.at + 1} (after \\ come one of , + " \\ < > ; = # and space, or two hex digits)`);
      }
      significant = bytes.length;
      continue;
    }
    if (MUST_ESCAPE.has(char) || char === '\u0000') throw new DistinguishedNameError(`has an unescaped ${JSON.stringify(char)} at position ${reader.at + 1} (write \\${char === '\u0000' ? '00' : char})`);
    // Whole code points: a character outside the BMP is two UTF-16 units.
    const codePoint = String.fromCodePoint(text.codePointAt(reader.at)!);
    bytes.push(...Buffer.from(codePoint, 'utf8'));
    reader.at += codePoint.length;
    if (char !== ' ') significant = bytes.length;
  }
  endOfValue(reader);
  return { value: utf8(Buffer.from(bytes.slice(0, significant)), 'has escapes that are not UTF-8'), form: 'string' };
}

/** A value ends at the end, at "+" (another attribute of the RDN) or at "," (the next RDN), which must be followed by one. */
function endOfValue(reader: Reader): void {
  const char = reader.text[reader.at];
  if (char === undefined) return;
  if (char !== ',' && char !== '+') throw new DistinguishedNameError(`has an unexpected ${JSON.stringify(char)} at position ${reader.at + 1}`);
  if (reader.text.slice(reader.at + 1).trim() === '') throw new DistinguishedNameError(`ends with ${JSON.stringify(char)}`);
}

function utf8(bytes: Buffer, problem: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DistinguishedNameError(problem);
  }
}

/** The name as an RFC 4514 string (the least significant RDN first), for messages. */
export function formatDistinguishedName(name: DistinguishedName): string {
  return [...name]
    .reverse()
    .map((rdn) => rdn.map((attribute) => `${NAME_BY_OID.get(attribute.type) ?? attribute.type}=${formatValue(attribute)}`).join('+'))
    .join(',');
}

function formatValue({ value, form }: DnAttribute): string {
  if (form === 'der') return `#${value}`;
  let escaped = value.replace(/[\\"+,;<>=]/g, (char) => `\\${char}`).replace(/\u0000/g, '\\00');
  if (escaped.startsWith('#') || escaped.startsWith(' ')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/**
 * Whether two names are the same one (RFC 8705 §2.1: "a predictable treatment of DN values", after RFC 4517's
 * distinguishedNameMatch): the same RDNs in the same order, an RDN's attributes in any order, each attribute
 * the same type (by OID) and the same value once normalised: Unicode NFKC, case folded, leading and trailing
 * spaces dropped and inner runs of white space made one space (caseIgnoreMatch, which every attribute type
 * above uses). A value that is no string compares by its exact DER.
 */
export function sameDistinguishedName(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.length !== b.length) return false;
  return a.every((rdn, index) => {
    const other = b[index];
    if (rdn.length !== other.length) return false;
    const keys = (attributes: DnAttribute[]) => attributes.map(comparisonKey).sort().join('\u0000');
    return keys(rdn) === keys(other);
  });
}

function comparisonKey({ type, value, form }: DnAttribute): string {
  const normalised = form === 'der' ? value.toLowerCase() : value.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
  return `${type}\u0001${form}\u0001${normalised}`;
}

// ---------------------------------------------------------------------------------------------- DER

interface DerElement {
  tag: number;
  content: Buffer;
  /** The whole element: tag, length and content. */
  raw: Buffer;
  /** Offset just past the element in the buffer it was read from. */
  end: number;
}

/** One DER element (single-byte tags, definite lengths: all X.509 uses). */
function readElement(buffer: Buffer, offset: number, what: string): DerElement {
  const malformed = () => new DistinguishedNameError(`${what} is not well-formed DER`);
  if (offset + 2 > buffer.length) throw malformed();
  const tag = buffer[offset];
  if ((tag & 0x1f) === 0x1f) throw malformed();
  let length = buffer[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > buffer.length) throw malformed();
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + buffer[offset + 2 + index];
    header += count;
  }
  const end = offset + header + length;
  if (end > buffer.length) throw malformed();
  return { tag, content: buffer.subarray(offset + header, end), raw: buffer.subarray(offset, end), end };
}

function childrenOf(element: DerElement, what: string): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < element.content.length; ) {
    const child = readElement(element.content, offset, what);
    children.push(child);
    offset = child.end;
  }
  return children;
}

const SEQUENCE = 0x30;
const SET = 0x31;

function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element || element.tag !== tag) throw new DistinguishedNameError(`${what} is not where X.509 puts it`);
  return element;
}

/** A Name (RFC 5280 §4.1.2.4: SEQUENCE OF SET OF AttributeTypeAndValue) read from its DER. */
function nameFromDer(element: DerElement): DistinguishedName {
  expectTag(element, SEQUENCE, 'the name');
  return childrenOf(element, 'the name').map((set) =>
    childrenOf(expectTag(set, SET, 'an RDN'), 'an RDN').map((pair) => {
      const [type, value] = childrenOf(expectTag(pair, SEQUENCE, 'an attribute'), 'an attribute');
      if (!value) throw new DistinguishedNameError('an attribute has no value');
      return { type: oidText(expectTag(type, 0x06, 'an attribute type').content), ...attributeValue(value) };
    }),
  );
}

function oidText(content: Buffer): string {
  if (content.length === 0) throw new DistinguishedNameError('an attribute type is an empty OID');
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of content) {
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  if (content[content.length - 1] & 0x80) throw new DistinguishedNameError('an attribute type is a malformed OID');
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** A string type's text; any other type's value is kept as its DER in hex (RFC 4514 §2.4's `#` form). */
function attributeValue(element: DerElement): Omit<DnAttribute, 'type'> {
  const { tag, content } = element;
  switch (tag) {
    case 0x0c: // UTF8String
      return { value: utf8(content, 'has a UTF8String that is not UTF-8'), form: 'string' };
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x14: // TeletexString, read as Latin-1 as OpenSSL does
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return { value: content.toString('latin1'), form: 'string' };
    case 0x1e: // BMPString: UTF-16BE
      return { value: Buffer.from(content).swap16().toString('utf16le'), form: 'string' };
    case 0x1c: {
      // UniversalString: UTF-32BE
      if (content.length % 4 !== 0) throw new DistinguishedNameError('has a malformed UniversalString');
      const points: number[] = [];
      for (let offset = 0; offset < content.length; offset += 4) points.push(content.readUInt32BE(offset));
      return { value: String.fromCodePoint(...points), form: 'string' };
    }
    default:
      return { value: element.raw.toString('hex'), form: 'der' };
  }
}

/** What the token service reads from a client certificate besides what node:crypto gives. */
export interface CertificateFields {
  subject: DistinguishedName;
  /** Epoch milliseconds. */
  notBefore: number;
  notAfter: number;
}

/** A certificate's subject and validity, read from its DER (RFC 5280 §4.1). */
export function readCertificate(der: Buffer): CertificateFields {
  const certificate = readElement(der, 0, 'the certificate');
  const tbs = childrenOf(expectTag(certificate, SEQUENCE, 'the certificate'), 'the certificate')[0];
  const fields = childrenOf(expectTag(tbs, SEQUENCE, 'tbsCertificate'), 'tbsCertificate');
  // [0] version, then serialNumber, signature, issuer, validity, subject.
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const [notBefore, notAfter] = childrenOf(expectTag(rest[3], SEQUENCE, 'the validity'), 'the validity').map(timeOf);
  return { subject: nameFromDer(expectTag(rest[4], SEQUENCE, 'the subject')), notBefore, notAfter };
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950–2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 §4.1.2.5 writes them. */
function timeOf(element: DerElement): number {
  const text = element.content.toString('latin1');
  const match = element.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : element.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!match) throw new DistinguishedNameError('the validity is not a UTCTime or GeneralizedTime');
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const fullYear = element.tag === 0x17 ? (year < 50 ? 2000 + year : 1900 + year) : year;
  return Date.UTC(fullYear, month - 1, day, hour, minute, second);
}
