import { addressBucket } from './address-bucket';

describe('addressBucket', () => {
  it('keeps an IPv4 address, also when written IPv4-mapped', () => {
    expect(addressBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('puts every address of an IPv6 /64 into one bucket, however it is written', () => {
    const bucket = addressBucket('2001:db8:1:2::1');
    expect(bucket).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:0db8:0001:0002:ffff:ffff:ffff:fffe')).toBe(bucket);
    expect(addressBucket('2001:db8:1:3::1')).not.toBe(bucket);
  });

  it('keeps anything unparsable as given', () => {
    expect(addressBucket('unknown')).toBe('unknown');
  });
});
