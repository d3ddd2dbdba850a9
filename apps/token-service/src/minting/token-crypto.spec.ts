import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtAlgorithm, JwtSigner } from './jwt-signer';
import { TokenCipher } from './token-cipher';
import { timeOrderedUuid } from '@keymint/persistence';
import { opaqueToken, presentedTokenId, sameTokenHash, tokenHash } from '../token-storage/token-hash';

describe('TokenCipher (AES-256-GCM)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'token-cipher-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips, binds the associated data and detects tampering', () => {
    const cipher = TokenCipher.fromConfig(undefined, dir);
    const sealed = cipher.encrypt('opaque-token', 'token-id');
    expect(sealed).not.toContain('opaque-token');
    expect(cipher.decrypt(sealed, 'token-id')).toBe('opaque-token');
    expect(cipher.decrypt(sealed, 'other-id')).toBeNull();
    const [iv, tag, body] = sealed.split('.');
    expect(cipher.decrypt([iv, tag, `${body.slice(0, -2)}AA`].join('.'), 'token-id')).toBeNull();
    expect(cipher.decrypt('garbage', 'token-id')).toBeNull();
    // The generated key is kept (mode 0600) and reused.
    expect(statSync(join(dir, 'token-encryption.key')).mode & 0o777).toBe(0o600);
    expect(TokenCipher.fromConfig(undefined, dir).decrypt(sealed, 'token-id')).toBe('opaque-token');
    expect(new TokenCipher(Buffer.alloc(32, 7)).decrypt(sealed, 'token-id')).toBeNull();
  });

  it('takes TOKEN_ENCRYPTION_KEY as hex or base64 and refuses a short key', () => {
    const hex = 'ab'.repeat(32);
    const sealed = TokenCipher.fromConfig(hex, dir).encrypt('t', 'id');
    expect(TokenCipher.fromConfig(Buffer.from(hex, 'hex').toString('base64'), dir).decrypt(sealed, 'id')).toBe('t');
    expect(() => TokenCipher.fromConfig('abcd', dir)).toThrow(/32 bytes/);
  });
});

describe('JwtSigner', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'jwt-signer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each<JwtAlgorithm>(['RS256', 'ES256', 'EdDSA'])('%s tokens verify with crypto.verify against the published JWK', async (algorithm) => {
    const signer = new JwtSigner({ directory: dir, algorithm, rotationSeconds: 3600, maxTokenValiditySeconds: 7200 });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const token = await signer.sign({ sub: 'client', exp, scope: 'default' });
    const [header, payload, signature] = token.split('.');
    const decodedHeader = JSON.parse(Buffer.from(header, 'base64url').toString());
    expect(decodedHeader).toEqual({ alg: algorithm, typ: 'at+jwt', kid: expect.any(String) });
    const jwk = signer.jwks().keys.find((key) => key.kid === decodedHeader.kid)!;
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const data = Buffer.from(`${header}.${payload}`);
    const raw = Buffer.from(signature, 'base64url');
    const ok =
      algorithm === 'EdDSA'
        ? verify(null, data, publicKey, raw)
        : algorithm === 'ES256'
          ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)
          : verify('sha256', data, publicKey, raw);
    expect(ok).toBe(true);
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({ sub: 'client', exp, scope: 'default' });
    expect(signer.verify(token)).toEqual({ sub: 'client', exp, scope: 'default' });
    expect(signer.verify(`${header}.${Buffer.from('{"sub":"x"}').toString('base64url')}.${signature}`)).toBeNull();
    // Keys are files with mode 0600, loaded again on restart (same kid).
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(dir, files[0])).mode & 0o777).toBe(0o600);
    const restarted = new JwtSigner({ directory: dir, algorithm, rotationSeconds: 3600, maxTokenValiditySeconds: 7200 });
    expect(await restarted.verify(token)).not.toBeNull();
  });

  it('rotates after JWT_KEY_ROTATION and keeps the old key published until MAX_TOKEN_VALIDITY after its retirement', async () => {
    const signer = new JwtSigner({ directory: dir, algorithm: 'ES256', rotationSeconds: 1, maxTokenValiditySeconds: 10 });
    const realNow = Date.now;
    try {
      const first = await signer.sign({ exp: Math.floor(realNow() / 1000) + 5 });
      Date.now = () => realNow() + 2000;
      const second = await signer.sign({ exp: Math.floor(realNow() / 1000) + 60 });
      const kid = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
      expect(kid(first)).not.toBe(kid(second));
      expect(signer.jwks().keys.map((key) => key.kid).sort()).toEqual([kid(first), kid(second)].sort());
      expect(signer.verify(first)).not.toBeNull();
      Date.now = () => realNow() + 11_000;
      expect(signer.jwks().keys.map((key) => key.kid).sort()).toEqual([kid(first), kid(second)].sort());
      // Retired at +2 s: no token it signed lives past +12 s.
      Date.now = () => realNow() + 12_500;
      expect(signer.jwks().keys.map((key) => key.kid)).toEqual([kid(second)]);
    } finally {
      Date.now = realNow;
    }
  });

  it('keeps a key published for the tokens it signed before a restart', async () => {
    const realNow = Date.now;
    const options = { directory: dir, algorithm: 'ES256' as const, rotationSeconds: 10, maxTokenValiditySeconds: 3600 };
    try {
      // A long-lived token, then a restart, then only short-lived tokens with the same key before it retires.
      const longLived = await new JwtSigner(options).sign({ exp: Math.floor(realNow() / 1000) + 3000 });
      const restarted = new JwtSigner(options);
      await restarted.sign({ exp: Math.floor(realNow() / 1000) + 5 });
      Date.now = () => realNow() + 11_000;
      await restarted.sign({ exp: Math.floor(realNow() / 1000) + 60 });
      Date.now = () => realNow() + 600_000;
      expect(await restarted.verify(longLived)).not.toBeNull();
      const kid = JSON.parse(Buffer.from(longLived.split('.')[0], 'base64url').toString()).kid;
      expect(restarted.jwks().keys.map((key) => key.kid)).toContain(kid);
    } finally {
      Date.now = realNow;
    }
  });

  it('keeps the bound it retired a key with, even when MAX_TOKEN_VALIDITY is lowered after a restart', async () => {
    const realNow = Date.now;
    try {
      const token = await new JwtSigner({ directory: dir, algorithm: 'ES256', rotationSeconds: 10, maxTokenValiditySeconds: 3600 }).sign({ exp: Math.floor(realNow() / 1000) + 3000 });
      Date.now = () => realNow() + 11_000;
      const rotating = new JwtSigner({ directory: dir, algorithm: 'ES256', rotationSeconds: 10, maxTokenValiditySeconds: 3600 });
      await rotating.sign({ exp: Math.floor(realNow() / 1000) + 60 });
      // The retired key's file says how long it stays published (earlier versions read this field too).
      const kid = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
      const stored = JSON.parse(readFileSync(join(dir, `${kid}.json`), 'utf8'));
      expect(stored.lastExpiry).toBe(stored.retiredAt + 3600 * 1000);
      Date.now = () => realNow() + 600_000;
      const lowered = new JwtSigner({ directory: dir, algorithm: 'ES256', rotationSeconds: 10, maxTokenValiditySeconds: 10 });
      expect(lowered.jwks().keys.map((key) => key.kid)).toContain(kid);
      expect(await lowered.verify(token)).not.toBeNull();
    } finally {
      Date.now = realNow;
    }
  });

  it('lets replicas sharing the key folder verify each other and adopt a rotated key', async () => {
    const realNow = Date.now;
    try {
      const first = new JwtSigner({ directory: dir, algorithm: 'EdDSA', rotationSeconds: 10, maxTokenValiditySeconds: 7200 });
      const second = new JwtSigner({ directory: dir, algorithm: 'EdDSA', rotationSeconds: 10, maxTokenValiditySeconds: 7200 });
      const kid = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
      const exp = Math.floor(realNow() / 1000) + 3600;
      expect(kid(await second.sign({ exp }))).toBe(kid(await first.sign({ exp })));
      Date.now = () => realNow() + 11_000;
      const rotated = await first.sign({ exp });
      expect(await second.verify(rotated)).not.toBeNull();
      expect(kid(await second.sign({ exp }))).toBe(kid(rotated));
      expect(readdirSync(dir)).toHaveLength(2);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('opaque tokens', () => {
  it('are 43 base64url characters that carry their row id, all different across refills of the random pool', () => {
    const ids = Array.from({ length: 1000 }, () => timeOrderedUuid());
    const tokens = ids.map((id) => opaqueToken(id));
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.map((token) => presentedTokenId(token))).toEqual(ids);
    // The same id twice still gives two tokens: the last 16 bytes are random.
    expect(opaqueToken(ids[0])).not.toBe(tokens[0]);
  });

  it('name no id when they are not of that shape, and a JWT names its jti', () => {
    const jti = timeOrderedUuid();
    const jwt = (payload: object) => `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
    expect(presentedTokenId(jwt({ jti }))).toBe(jti);
    expect(presentedTokenId(jwt({ jti: 'not-a-uuid' }))).toBeNull();
    expect(presentedTokenId('a.%%%.c')).toBeNull();
    // 32 bytes whose first 16 are not a version-7 UUID: an opaque token from before ids were carried.
    expect(presentedTokenId(Buffer.alloc(32, 0xff).toString('base64url'))).toBeNull();
    expect(presentedTokenId('short')).toBeNull();
  });

  it('match their stored hash only when every character is the same', () => {
    const token = opaqueToken(timeOrderedUuid());
    expect(sameTokenHash(tokenHash(token), tokenHash(token))).toBe(true);
    expect(sameTokenHash(tokenHash(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), tokenHash(token))).toBe(false);
    expect(sameTokenHash(tokenHash(token), 'not hex')).toBe(false);
  });
});
