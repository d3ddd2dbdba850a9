import { z } from 'zod/v4';
import { parseRequest } from '@keymint/http-kit';
import { descriptionOf } from '../../test/bad-request';
import { containsPattern, PAGE_PARAMETERS, pagination } from './list-query';

describe('list query helpers', () => {
  const readPage = (query: Record<string, unknown>) => parseRequest(z.object(PAGE_PARAMETERS), query);

  it('pages with WSO2 defaults and links to the neighbouring pages', () => {
    expect(readPage({})).toEqual({ limit: 25, offset: 0 });
    expect(descriptionOf(() => readPage({ limit: '101' }))).toContain("'limit'");
    expect(descriptionOf(() => readPage({ offset: '-1' }))).toContain("'offset'");
    const links = pagination('/apps', { limit: 2, offset: 2 }, 5, { query: 'a b' });
    expect(links).toEqual({ offset: 2, limit: 2, total: 5, next: '/apps?query=a+b&limit=2&offset=4', previous: '/apps?query=a+b&limit=2&offset=0' });
    expect(pagination('/apps', { limit: 25, offset: 0 }, 3)).toMatchObject({ next: '', previous: '' });
  });

  it('reads limit and offset as WSO2 clients send them, in the words of the body fields', () => {
    expect(readPage({ limit: ' +7 ', offset: '' })).toEqual({ limit: 7, offset: 0 });
    expect(readPage({ limit: '' })).toEqual({ limit: 25, offset: 0 });
    expect(descriptionOf(() => readPage({ limit: '0' }))).toBe("'limit' must be between 1 and 100.");
    expect(descriptionOf(() => readPage({ limit: '2.5' }))).toBe("'limit' must be an integer.");
    expect(descriptionOf(() => readPage({ limit: ['1', '2'] }))).toBe("Query parameter 'limit' must be given once.");
  });

  it('escapes LIKE wildcards in search text', () => {
    expect(containsPattern('50%_Off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
