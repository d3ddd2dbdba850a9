import { createHash } from 'node:crypto';
import { consumerSecretMatches, hashConsumerSecret } from '@keymint/contracts';
import { newConsumerKey, newConsumerSecret } from './client-credentials';

describe('client credentials', () => {
  it('makes URL-safe keys and 256-bit secrets, different each time', () => {
    const key = newConsumerKey();
    const secret = newConsumerSecret();
    expect(key).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(newConsumerKey()).not.toBe(key);
    expect(newConsumerSecret()).not.toBe(secret);
  });

  it('stores the hex SHA-256 of the secret and checks it', () => {
    const secret = newConsumerSecret();
    const stored = hashConsumerSecret(secret);
    expect(stored).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(consumerSecretMatches(secret, stored)).toBe(true);
    expect(consumerSecretMatches(`${secret}x`, stored)).toBe(false);
    expect(consumerSecretMatches(secret, 'not-hex')).toBe(false);
  });
});
