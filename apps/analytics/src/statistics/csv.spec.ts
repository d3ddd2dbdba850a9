import { toCsv, wantsCsv } from './csv';

describe('csv', () => {
  it('quotes per RFC 4180 and ends lines with CRLF', () => {
    expect(toCsv(['name', 'count'], [['plain', 1], ['a,b', 2], ['say "hi"', 3], ['two\nlines', 4], [null, 0]])).toBe(
      'name,count\r\nplain,1\r\n"a,b",2\r\n"say ""hi""",3\r\n"two\nlines",4\r\n,0\r\n',
    );
  });

  it('keeps text that a spreadsheet would run as a formula as text (CSV injection)', () => {
    const names = ['=HYPERLINK("http://evil","x")', '+1+cmd|calc', '-2+3', '@SUM(A1)', '\tTab', '\rReturn', 'plain-name'];
    expect(toCsv(['name', 'count'], [...names.map((name) => [name, 1]), ['negative', -1]])).toBe(
      'name,count\r\n' +
        `"'=HYPERLINK(""http://evil"",""x"")",1\r\n'+1+cmd|calc,1\r\n'-2+3,1\r\n'@SUM(A1),1\r\n'\tTab,1\r\n"'\rReturn",1\r\nplain-name,1\r\n` +
        'negative,-1\r\n',
    );
  });

  it('is chosen only when text/csv is acceptable', () => {
    expect(wantsCsv('text/csv')).toBe(true);
    expect(wantsCsv('application/json, Text/CSV; q=0.5')).toBe(true);
    expect(wantsCsv('text/csv;q=0, application/json')).toBe(false);
    expect(wantsCsv('application/json')).toBe(false);
    expect(wantsCsv('*/*')).toBe(false);
    expect(wantsCsv(undefined)).toBe(false);
  });
});
