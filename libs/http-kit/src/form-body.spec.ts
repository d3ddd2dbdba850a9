import { parseFormBody } from './form-body';

describe('parseFormBody', () => {
  it('decodes form encoding', () => {
    expect(parseFormBody('grant_type=client_credentials&scope=a+b%20c')).toEqual({ grant_type: 'client_credentials', scope: 'a b c' });
  });

  it('keeps a repeated parameter as an array so it can be rejected', () => {
    expect(parseFormBody('scope=a&scope=b&scope=c')).toEqual({ scope: ['a', 'b', 'c'] });
  });

  it('cannot be used to pollute prototypes', () => {
    const parsed = parseFormBody('__proto__=x&constructor=y');
    expect(parsed.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
