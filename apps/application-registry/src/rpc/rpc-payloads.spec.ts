import { parseAuthenticateUserRequest, parseGetClientRequest } from './rpc-payloads';

describe('RPC payload validation', () => {
  it('accepts well-formed requests', () => {
    expect(parseGetClientRequest({ consumerKey: 'abc' })).toEqual({ consumerKey: 'abc' });
    expect(parseAuthenticateUserRequest({ username: 'alice', password: '' })).toEqual({ username: 'alice', password: '' });
  });

  it.each([null, 'text', [], {}, { consumerKey: 5 }, { consumerKey: '' }, { consumerKey: 'k'.repeat(257) }])('refuses client.get %j', (data) => {
    expect(typeof parseGetClientRequest(data)).toBe('string');
  });

  it.each([null, 'text', {}, { username: 'a' }, { username: 1, password: 'p' }, { username: '', password: 'p' }])('refuses user.authenticate %j', (data) => {
    expect(typeof parseAuthenticateUserRequest(data)).toBe('string');
  });
});
