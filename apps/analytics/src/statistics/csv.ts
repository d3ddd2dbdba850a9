/** True when the client lists `text/csv` (with a non-zero quality) in its Accept header. */
export function wantsCsv(accept: string | string[] | undefined): boolean {
  const header = Array.isArray(accept) ? accept.join(',') : accept ?? '';
  return header.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'text/csv') return false;
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

/** What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

function field(value: unknown): string {
  const raw = value === null || value === undefined ? '' : String(value);
  // Text that a spreadsheet would run as a formula (an application named `=HYPERLINK(…)`) is kept as text by a
  // leading apostrophe; numbers are never text a user chose, and stay numbers.
  const text = typeof value === 'string' && FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * RFC 4180: a header row, CRLF line ends, fields with commas, quotes or line breaks quoted; text cells that a
 * spreadsheet would take for a formula start with an apostrophe.
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
