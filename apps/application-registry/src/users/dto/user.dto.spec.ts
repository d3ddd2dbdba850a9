import { parseRequest } from '@keymint/http-kit';
import { descriptionOf } from '../../../test/bad-request';
import { CreateUserInputSchema, PasswordChangeSchema } from './user.dto';

const parseCreateUserInput = (body: unknown) => parseRequest(CreateUserInputSchema, body);
const parsePasswordInput = (body: unknown) => parseRequest(PasswordChangeSchema, body).password;

describe('user input', () => {
  it('canonicalises the username and defaults to an end user', () => {
    expect(parseCreateUserInput({ username: 'Bob.Smith', password: 'longenough' })).toEqual({
      username: 'bob.smith',
      password: 'longenough',
      roles: [],
    });
  });

  it('names the field that is wrong', () => {
    expect(descriptionOf(() => parseCreateUserInput({ username: 'a:b', password: 'longenough' }))).toContain("'username'");
    expect(descriptionOf(() => parseCreateUserInput({ username: 'bob', password: 'short' }))).toBe("'password' must be 8 to 128 characters long.");
    expect(descriptionOf(() => parseCreateUserInput({ username: 'bob', password: 'x'.repeat(129) }))).toContain("'password'");
    expect(descriptionOf(() => parseCreateUserInput({ username: 'bob', password: 'longenough', roles: ['root'] }))).toContain("'root'");
    expect(descriptionOf(() => parseCreateUserInput({ username: 42, password: 'longenough' }))).toBe("'username' must be a string.");
    expect(descriptionOf(() => parsePasswordInput({}))).toBe("'password' is required.");
  });
});
