import { parseRequest } from '@keymint/http-kit';
import { descriptionOf } from '../../../test/bad-request';
import { ApplicationInputSchema } from './application.dto';
import { AdminListQuerySchema, DevportalListQuerySchema } from './list-applications.query';

const parseApplicationInput = (body: unknown) => parseRequest(ApplicationInputSchema, body);

describe('application input', () => {
  it('fills defaults and ignores read-only fields', () => {
    expect(parseApplicationInput({ name: ' Shop ', applicationId: 'x', owner: 'mallory', status: 'REJECTED' })).toEqual({
      name: 'Shop',
      throttlingPolicy: 'Unlimited',
      description: '',
      tokenType: 'JWT',
      attributes: {},
    });
  });

  it('names the bad field', () => {
    expect(descriptionOf(() => parseApplicationInput({}))).toBe("'name' is required.");
    expect(descriptionOf(() => parseApplicationInput({ name: '   ' }))).toContain("'name'");
    expect(descriptionOf(() => parseApplicationInput({ name: 'x'.repeat(101) }))).toContain("'name'");
    expect(descriptionOf(() => parseApplicationInput({ name: 'a', throttlingPolicy: 'Gold' }))).toContain("'throttlingPolicy'");
    expect(descriptionOf(() => parseApplicationInput({ name: 'a', tokenType: 'SAML' }))).toContain("'tokenType'");
    expect(descriptionOf(() => parseApplicationInput({ name: 'a', description: 'd'.repeat(513) }))).toContain("'description'");
    expect(descriptionOf(() => parseApplicationInput({ name: ['a'] }))).toBe("'name' must be a string.");
  });

  it('parses list parameters', () => {
    expect(parseRequest(DevportalListQuerySchema, { sortBy: 'status', sortOrder: 'desc', limit: '5' })).toEqual({
      page: { limit: 5, offset: 0 },
      query: undefined,
      owner: undefined,
      sortBy: 'status',
      sortOrder: 'desc',
    });
    expect(descriptionOf(() => parseRequest(DevportalListQuerySchema, { sortBy: 'owner' }))).toContain("'sortBy'");
  });

  it('narrows by owner on the Admin API only, and refuses a repeated parameter on both', () => {
    expect(parseRequest(AdminListQuerySchema, { user: 'Bob', query: '' })).toMatchObject({ owner: 'bob', query: undefined });
    expect(parseRequest(DevportalListQuerySchema, { user: 'bob' }).owner).toBeUndefined();
    for (const schema of [DevportalListQuerySchema, AdminListQuerySchema]) {
      expect(descriptionOf(() => parseRequest(schema, { user: ['a', 'b'] }))).toBe("Query parameter 'user' must be given once.");
    }
    expect(descriptionOf(() => parseRequest(AdminListQuerySchema, { user: 'u'.repeat(65) }))).toBe("'user' must be at most 64 characters long.");
    expect(descriptionOf(() => parseRequest(AdminListQuerySchema, { query: 'q'.repeat(101) }))).toBe("'query' must be at most 100 characters long.");
    // The text parameters are taken as single values before the page is read, as the reader did.
    expect(descriptionOf(() => parseRequest(DevportalListQuerySchema, { limit: ['1', '2'], sortOrder: ['asc', 'desc'] }))).toBe(
      "Query parameter 'sortOrder' must be given once.",
    );
  });
});
