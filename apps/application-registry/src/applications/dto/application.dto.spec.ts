import { descriptionOf } from '../../../test/bad-request';
import { parseApplicationInput } from './application.dto';
import { parseApplicationListQuery } from './list-applications.query';

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
    expect(parseApplicationListQuery({ sortBy: 'status', sortOrder: 'desc', limit: '5' }, { allowOwner: false })).toEqual({
      page: { limit: 5, offset: 0 },
      query: undefined,
      owner: undefined,
      sortBy: 'status',
      sortOrder: 'desc',
    });
    expect(descriptionOf(() => parseApplicationListQuery({ sortBy: 'owner' }, { allowOwner: false }))).toContain("'sortBy'");
  });
});
