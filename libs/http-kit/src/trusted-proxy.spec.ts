import { loadConfig, tokenServiceEnvShape } from '@keymint/config';
import { trustedProxyCheck } from './trusted-proxy';

const check = (TRUST_PROXY: string) => trustedProxyCheck(loadConfig(tokenServiceEnvShape, { TRUST_PROXY }).TRUST_PROXY);

describe('trustedProxyCheck (TRUST_PROXY)', () => {
  it('trusts no peer when TRUST_PROXY is off', () => {
    expect(check('false')('127.0.0.1')).toBe(false);
    expect(check('')('::1')).toBe(false);
  });

  it('trusts the listed addresses, CIDRs and ranges, IPv4-mapped IPv6 peers included, and nothing else', () => {
    const loopback = check('loopback');
    expect([loopback('127.0.0.1'), loopback('::1'), loopback('::ffff:127.0.0.1'), loopback('10.0.0.1'), loopback(undefined)]).toEqual([true, true, true, false, false]);
    const listed = check('192.0.2.7, 10.0.0.0/8');
    expect([listed('192.0.2.7'), listed('10.20.30.40'), listed('192.0.2.8'), listed('127.0.0.1')]).toEqual([true, true, false, false]);
  });
});
