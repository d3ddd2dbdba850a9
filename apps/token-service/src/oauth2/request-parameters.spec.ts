import { parseFormBody } from '@keymint/http-kit';
import { OAuth2Error } from './oauth2-error';
import { parseParameters, rejectQueryCredentials } from './request-parameters';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof OAuth2Error ? error.code : 'other';
  }
  return undefined;
}

describe('request parameters', () => {
  it('takes a form body and a JSON object (numbers as strings)', () => {
    expect(parseParameters(parseFormBody('grant_type=client_credentials&scope=a+b'))).toEqual({ grant_type: 'client_credentials', scope: 'a b' });
    expect(parseParameters({ grant_type: 'password', validity_period: 60, extra: null })).toEqual({ grant_type: 'password', validity_period: '60' });
  });

  it.each<[string, unknown]>([
    ['a string body', 'grant_type=client_credentials'],
    ['no body', undefined],
    ['null', null],
    ['an array', [1]],
    ['a repeated form parameter', parseFormBody('scope=a&scope=b')],
    ['a nested JSON value', { grant_type: { nested: true } }],
    ['a JSON array value', { scope: ['a', 'b'] }],
  ])('rejects %s with invalid_request', (_name, body) => {
    expect(codeOf(() => parseParameters(body))).toBe('invalid_request');
  });

  it('rejects client credentials in the query string only', () => {
    expect(codeOf(() => rejectQueryCredentials({ client_secret: 'x' }))).toBe('invalid_request');
    expect(codeOf(() => rejectQueryCredentials({ client_id: 'x' }))).toBe('invalid_request');
    expect(codeOf(() => rejectQueryCredentials({ other: 'x' }))).toBeUndefined();
    expect(codeOf(() => rejectQueryCredentials(undefined))).toBeUndefined();
  });
});
