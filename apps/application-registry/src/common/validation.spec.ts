import { descriptionOf } from '../../test/bad-request';
import { containsPattern, pagination, readInteger, readPage, readStringArray, readStringMap, requireJsonObject } from './validation';

describe('validation helpers', () => {
  it('accepts integers as numbers or numeric strings and names the field otherwise', () => {
    expect(readInteger(3600, 'validityTime', { min: 1, max: 10_000 })).toBe(3600);
    expect(readInteger('7200', 'validityTime', { min: 1, max: 10_000 })).toBe(7200);
    expect(readInteger(undefined, 'validityTime', { min: 1, max: 10 })).toBeUndefined();
    expect(readInteger(-1, 'validityPeriod', { min: 1, max: 10, also: [-1] })).toBe(-1);
    expect(descriptionOf(() => readInteger(1.5, 'validityTime', { min: 1, max: 10 }))).toContain("'validityTime'");
    expect(descriptionOf(() => readInteger('12abc', 'validityTime', { min: 1, max: 10 }))).toContain('integer');
    expect(descriptionOf(() => readInteger(0, 'validityTime', { min: 1, max: 10 }))).toBe("'validityTime' must be between 1 and 10.");
    expect(descriptionOf(() => readInteger(true, 'validityTime', { min: 1, max: 10 }))).toContain("'validityTime'");
  });

  it('rejects bodies that are not JSON objects', () => {
    expect(descriptionOf(() => requireJsonObject('name=x'))).toContain('JSON object');
    expect(descriptionOf(() => requireJsonObject([1]))).toContain('JSON object');
    expect(requireJsonObject({ a: 1 })).toEqual({ a: 1 });
  });

  it('reads string arrays without duplicates and refuses other types', () => {
    expect(readStringArray({ scopes: ['a', 'b', 'a'] }, 'scopes', { maxItems: 5, maxLength: 10 })).toEqual(['a', 'b']);
    expect(descriptionOf(() => readStringArray({ scopes: 'a' }, 'scopes', { maxItems: 5, maxLength: 10 }))).toContain("'scopes'");
    expect(descriptionOf(() => readStringArray({ scopes: [1] }, 'scopes', { maxItems: 5, maxLength: 10 }))).toContain("'scopes'");
  });

  it('reads string maps and names the offending entry', () => {
    const rule = { maxEntries: 2, maxKeyLength: 10, maxValueLength: 5 };
    expect(readStringMap({ attributes: { tier: 'gold' } }, 'attributes', rule)).toEqual({ tier: 'gold' });
    expect(descriptionOf(() => readStringMap({ attributes: { tier: 7 } }, 'attributes', rule))).toBe("'attributes.tier' must be a string.");
    expect(descriptionOf(() => readStringMap({ attributes: [] }, 'attributes', rule))).toContain("'attributes'");
  });

  it('pages with WSO2 defaults and links to the neighbouring pages', () => {
    expect(readPage({})).toEqual({ limit: 25, offset: 0 });
    expect(descriptionOf(() => readPage({ limit: '101' }))).toContain("'limit'");
    expect(descriptionOf(() => readPage({ offset: '-1' }))).toContain("'offset'");
    const links = pagination('/apps', { limit: 2, offset: 2 }, 5, { query: 'a b' });
    expect(links).toEqual({ offset: 2, limit: 2, total: 5, next: '/apps?query=a+b&limit=2&offset=4', previous: '/apps?query=a+b&limit=2&offset=0' });
    expect(pagination('/apps', { limit: 25, offset: 0 }, 3)).toMatchObject({ next: '', previous: '' });
  });

  it('escapes LIKE wildcards in search text', () => {
    expect(containsPattern('50%_Off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
