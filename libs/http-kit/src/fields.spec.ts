import { BadRequestException } from '@nestjs/common';
import { z } from 'zod/v4';
import { jsonField, parseRequest } from './fields';
import { PARAMETER_TEXTS } from './field-texts';
import { queryParameters } from './query-parameters';

const read = (schema: z.ZodType, input: unknown) => parseRequest(schema, input);

/** The description of the WSO2-style 400 that `work` throws. */
function descriptionOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as { code: number; message: string; description: string };
    expect(body).toEqual({ code: 400, message: 'Bad Request', description: expect.any(String) });
    return body.description;
  }
  throw new Error('expected a 400');
}

describe('JSON field builders (the registry words)', () => {
  it('accepts integers as numbers or numeric strings and names the field otherwise', () => {
    const validityTime = jsonField.integer('validityTime', { min: 1, max: 10_000 });
    const small = jsonField.integer('validityTime', { min: 1, max: 10 });
    expect(read(validityTime, 3600)).toBe(3600);
    expect(read(validityTime, '7200')).toBe(7200);
    expect(read(small, undefined)).toBeUndefined();
    expect(read(jsonField.integer('validityPeriod', { min: 1, max: 10, also: [-1] }), -1)).toBe(-1);
    expect(descriptionOf(() => read(small, 1.5))).toContain("'validityTime'");
    expect(descriptionOf(() => read(small, '12abc'))).toContain('integer');
    expect(descriptionOf(() => read(small, 0))).toBe("'validityTime' must be between 1 and 10.");
    expect(descriptionOf(() => read(small, true))).toContain("'validityTime'");
  });

  it('reads an integer text with a sign and spaces, and takes an empty one as absent', () => {
    const integer = jsonField.integer('n', { min: -5, max: 5, default: 3 });
    expect(read(integer, ' -4 ')).toBe(-4);
    expect(read(integer, '')).toBe(3);
    expect(read(integer, undefined)).toBe(3);
    expect(descriptionOf(() => read(integer, '  '))).toBe("'n' must be an integer.");
    expect(descriptionOf(() => read(integer, '1e3'))).toBe("'n' must be an integer.");
    expect(descriptionOf(() => read(integer, Infinity))).toBe("'n' must be an integer.");
    expect(descriptionOf(() => read(integer, '6'))).toBe("'n' must be between -5 and 5.");
    expect(descriptionOf(() => read(integer, -(2 ** 60)))).toBe("'n' must be between -5 and 5.");
  });

  it('rejects bodies that are not JSON objects', () => {
    const body = jsonField.object({ a: z.number() });
    expect(descriptionOf(() => read(body, 'name=x'))).toContain('JSON object');
    expect(descriptionOf(() => read(body, [1]))).toContain('JSON object');
    expect(descriptionOf(() => read(body, undefined))).toBe('The request body must be a JSON object (Content-Type: application/json).');
    expect(read(body, { a: 1 })).toEqual({ a: 1 });
  });

  it('takes a top-level null as absent, and an optional body that is missing as {}', () => {
    const body = jsonField.object({ name: jsonField.text('name', { max: 5 }).default('x') }, { optional: true });
    expect(read(body, { name: null })).toEqual({ name: 'x' });
    for (const missing of [undefined, null, '']) expect(read(body, missing)).toEqual({ name: 'x' });
    expect(descriptionOf(() => read(jsonField.object({ name: jsonField.text('name', { max: 5 }) }), { name: null }))).toBe("'name' is required.");
  });

  it('words text problems exactly and counts characters, not UTF-16 units', () => {
    const name = jsonField.text('name', { min: 1, max: 3 });
    expect(read(name, '😀😀😀')).toBe('😀😀😀');
    expect(descriptionOf(() => read(name, undefined))).toBe("'name' is required.");
    expect(descriptionOf(() => read(name, 7))).toBe("'name' must be a string.");
    expect(descriptionOf(() => read(name, 'abcd'))).toBe("'name' must be 1 to 3 characters long.");
    expect(descriptionOf(() => read(jsonField.text('note', { max: 2 }), 'abc'))).toBe("'note' must be at most 2 characters long.");
    const code = jsonField.text('code', { max: 9, match: { pattern: /^[a-z]+$/, hint: 'lower-case letters' } });
    expect(descriptionOf(() => read(code, 'A1'))).toBe("'code' is not valid: lower-case letters");
    expect(descriptionOf(() => read(code, 'A'.repeat(10)))).toBe("'code' must be at most 9 characters long.");
  });

  it('words enum problems, with a text of its own for a missing required value', () => {
    const keyType = jsonField.oneOf('keyType', ['PRODUCTION', 'SANDBOX'], "'keyType' is required.");
    expect(descriptionOf(() => read(keyType, 'TEST'))).toBe("'keyType' must be one of PRODUCTION, SANDBOX.");
    expect(descriptionOf(() => read(keyType, 3))).toBe("'keyType' must be one of PRODUCTION, SANDBOX.");
    expect(descriptionOf(() => read(keyType, undefined))).toBe("'keyType' is required.");
  });

  it('reads string arrays without duplicates and refuses other types', () => {
    const scopes = jsonField.object({ scopes: jsonField.list('scopes', { maxItems: 5, maxLength: 10 }).optional() });
    expect(read(scopes, { scopes: ['a', 'b', 'a'] })).toEqual({ scopes: ['a', 'b'] });
    expect(descriptionOf(() => read(scopes, { scopes: 'a' }))).toContain("'scopes'");
    expect(descriptionOf(() => read(scopes, { scopes: [1] }))).toContain("'scopes'");
  });

  it('checks a list as the hand-written reader did: its length, then each item, then what is allowed', () => {
    const roles = jsonField.list('roles', { maxItems: 2, maxLength: 5, allowed: { only: ['admin', 'user'], refused: (role) => `no role '${role}'` } });
    expect(read(roles, ['user', 'user'])).toEqual(['user']);
    expect(descriptionOf(() => read(roles, ['x', 'y', 'zzzzzzzzz']))).toBe("'roles' may hold at most 2 items.");
    expect(descriptionOf(() => read(roles, ['root', 'toolong']))).toBe("Each item of 'roles' must be 1 to 5 characters long.");
    expect(descriptionOf(() => read(roles, ['admin', '']))).toBe("Each item of 'roles' must be 1 to 5 characters long.");
    expect(descriptionOf(() => read(roles, ['admin', null]))).toBe("'roles' must be an array of strings.");
    expect(descriptionOf(() => read(roles, ['root']))).toBe("no role 'root'");
    const scopes = jsonField.list('scopes', { maxItems: 9, maxLength: 9, allowed: { only: /^\S+$/, refused: (scope) => `bad '${scope}'` } });
    expect(descriptionOf(() => read(scopes, ['a', 'b c']))).toBe("bad 'b c'");
  });

  it('reads string maps and names the offending entry', () => {
    const attributes = jsonField.object({ attributes: jsonField.map('attributes', { maxEntries: 2, maxKeyLength: 10, maxValueLength: 5 }).optional() });
    expect(read(attributes, { attributes: { tier: 'gold' } })).toEqual({ attributes: { tier: 'gold' } });
    expect(descriptionOf(() => read(attributes, { attributes: { tier: 7 } }))).toBe("'attributes.tier' must be a string.");
    expect(descriptionOf(() => read(attributes, { attributes: [] }))).toContain("'attributes'");
    expect(descriptionOf(() => read(attributes, { attributes: { tier: 'platinum' } }))).toBe("'attributes.tier' must be at most 5 characters long.");
    expect(descriptionOf(() => read(attributes, { attributes: { '': 'x' } }))).toBe("Keys of 'attributes' must be 1 to 10 characters long.");
    expect(descriptionOf(() => read(attributes, { attributes: { a: 1, b: 2, c: 3 } }))).toBe("'attributes' may hold at most 2 entries.");
  });

  it('reports the first problem in the order of the fields', () => {
    const body = jsonField.object({ a: jsonField.text('a', { max: 1 }), b: jsonField.text('b', { max: 1 }) });
    expect(descriptionOf(() => read(body, { a: 'xx', b: 5 }))).toBe("'a' must be at most 1 characters long.");
    expect(descriptionOf(() => read(body, { a: 'x', b: 5 }))).toBe("'b' must be a string.");
  });
});

describe('query parameter builders', () => {
  const parameter = queryParameters(PARAMETER_TEXTS);
  const query = z.object({
    limit: parameter.integer('limit', { min: 1, max: 1000, default: 25, digitsOnly: true }),
    offset: parameter.integer('offset', { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, digitsOnly: true }),
    granularity: parameter.oneOf('granularity', ['minute', 'hour', 'day']).default('hour'),
    applicationId: parameter.text('applicationId', { min: 1, max: 5 }).optional(),
  });

  it('defaults what is absent and converts what is given', () => {
    expect(read(query, {})).toEqual({ limit: 25, offset: 0, granularity: 'hour' });
    expect(read(query, { limit: '1000', offset: '40', granularity: 'day', applicationId: 'abc' })).toEqual({ limit: 1000, offset: 40, granularity: 'day', applicationId: 'abc' });
  });

  it('words every problem in the texts it was given', () => {
    expect(descriptionOf(() => read(query, { limit: ['1', '2'] }))).toBe("Invalid parameter 'limit': it must be given once.");
    for (const limit of ['0', '1001', '2.5', '', '-1', '+5', ' 5']) {
      expect(descriptionOf(() => read(query, { limit }))).toBe("Invalid parameter 'limit': expected an integer from 1 to 1000.");
    }
    expect(descriptionOf(() => read(query, { offset: '99999999999' }))).toBe("Invalid parameter 'offset': expected an integer ≥ 0.");
    expect(descriptionOf(() => read(query, { granularity: 'Day' }))).toBe("Invalid parameter 'granularity': expected one of minute, hour, day.");
    expect(descriptionOf(() => read(query, { applicationId: '' }))).toBe("Invalid parameter 'applicationId': expected 1 to 5 characters.");
  });
});
