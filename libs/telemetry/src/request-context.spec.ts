import { acceptableRequestId, MAX_REQUEST_ID_LENGTH, requestIdOf } from './request-context';

describe('request ids', () => {
  it('takes what proxies and load balancers send', () => {
    for (const id of ['0b2f1f8e-7d2c-4b8b-9a8e-0c0f7b7b7b7b', 'c0ffee0123456789abcdef0123456789', 'Root=1-67891233-abcdef012345678912345678', 'abc.def:ghi_jk~l+m/n=', 'x'.repeat(MAX_REQUEST_ID_LENGTH)]) {
      expect(acceptableRequestId(id)).toBe(id);
      expect(requestIdOf(id)).toBe(id);
    }
  });

  it('replaces what would forge a log line or header, or bloat every line of the request', () => {
    const attacks = [
      'abc\n{"level":"error","msg":"forged"}',
      'abc\r\nX-Injected: 1',
      'two words',
      'a, b',
      'ünïcode',
      'x'.repeat(MAX_REQUEST_ID_LENGTH + 1),
      'x'.repeat(1_000_000),
      '',
      undefined,
      ['a', 'b'],
    ];
    for (const attack of attacks) {
      expect(acceptableRequestId(attack)).toBeUndefined();
      expect(requestIdOf(attack)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
