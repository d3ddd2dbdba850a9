/** Where results go: the raw JSON answer with --json, else a human table or field list. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
}

/** Plain text for a cell: '-' for nothing, lists comma-joined, objects as compact JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map((item) => cellText(item)).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/\s+/g, ' ');
}

/** Columns padded to their widest cell, two spaces apart, no trailing spaces. */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells = [columns.map((column) => column.header), ...rows.map((row) => columns.map((column) => cellText(column.value(row))))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index].length)));
  return cells.map((line) => line.map((cell, index) => cell.padEnd(widths[index])).join('  ').trimEnd()).join('\n') + '\n';
}

/** "label:  value" lines, labels aligned. */
export function renderFields(fields: Array<[string, unknown]>): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${cellText(value)}`).join('\n') + '\n';
}

export class Output {
  constructor(
    private readonly write: (text: string) => void,
    readonly json: boolean,
  ) {}

  /** --json prints `data` as is (the server's answer); otherwise `human()`. */
  result(data: unknown, human: () => string): void {
    this.write(this.json ? `${JSON.stringify(data ?? {}, null, 2)}\n` : human());
  }

  /** A list: a table, or `empty` when there are no rows. */
  list<Row>(data: unknown, rows: Row[], columns: Column<Row>[], empty: string): void {
    this.result(data, () => (rows.length === 0 ? `${empty}\n` : renderTable(columns, rows)));
  }
}
