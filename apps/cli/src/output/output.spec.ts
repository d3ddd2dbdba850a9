import { cellText, Output, renderFields, renderTable } from './output';

describe('output formatting', () => {
  it('renders cells: "-" for nothing, lists comma-joined, whitespace collapsed', () => {
    expect([undefined, null, '', [], ['a', 'b'], 3, 'two\nlines', { a: 1 }].map(cellText)).toEqual(['-', '-', '-', '-', 'a,b', '3', 'two lines', '{"a":1}']);
  });

  it('pads table columns to the widest cell without trailing spaces', () => {
    const table = renderTable(
      [
        { header: 'NAME', value: (row: { name: string; n: number }) => row.name },
        { header: 'N', value: (row: { name: string; n: number }) => row.n },
      ],
      [
        { name: 'a-long-name', n: 1 },
        { name: 'b', n: 22 },
      ],
    );
    expect(table).toBe('NAME         N\na-long-name  1\nb            22\n');
  });

  it('aligns field values after the longest label', () => {
    expect(renderFields([['ID', 'x'], ['Long label', ['a', 'b']]])).toBe('ID:          x\nLong label:  a,b\n');
  });

  it('prints the raw answer with --json and the human text otherwise', () => {
    let written = '';
    new Output((text) => (written += text), true).list({ count: 0, list: [] }, [], [], 'Nothing.');
    expect(JSON.parse(written)).toEqual({ count: 0, list: [] });
    written = '';
    new Output((text) => (written += text), false).list({ count: 0, list: [] }, [], [], 'Nothing.');
    expect(written).toBe('Nothing.\n');
  });
});
