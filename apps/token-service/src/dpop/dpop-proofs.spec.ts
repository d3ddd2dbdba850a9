import { generateKeyPairSync } from 'node:crypto';
import { Database } from '@keymint/persistence';
import { dpopProof, thumbprint } from '../../../../test/support/dpop';
import { JtiReplays } from '../oauth2/jti-replays';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { DpopNonces } from './dpop-nonces';
import { DpopProofs } from './dpop-proofs';
import { DpopRequest } from './dpop-request';

const ISSUER = { ISSUER: 'https://auth.example.com/oauth2/token' };
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
/** A request as the plain-HTTP listener on port 8280 received it. */
const received = (proofs: string[]): DpopRequest => ({ proofs, method: 'POST', scheme: 'http', host: 'localhost:8280', path: '/token' });

async function refusal(proofs: DpopProofs, request: DpopRequest): Promise<OAuth2Error> {
  const error = await proofs.verify(request).catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(OAuth2Error);
  return error as OAuth2Error;
}

describe('DpopProofs', () => {
  const replays = () => new JtiReplays({ postgres: false } as Database);
  afterEach(() => jest.useRealTimers());

  it('answers null without a DPoP header, and the proof key\'s thumbprint with one', async () => {
    const proofs = new DpopProofs(ISSUER, replays(), null);
    expect(await proofs.verify(received([]))).toBeNull();
    expect(await proofs.verify(received([dpopProof(key, { htu: 'http://localhost:8280/token' })]))).toBe(thumbprint(key));
    expect(proofs.freshNonce()).toBeUndefined();
  });

  it('takes htu as this listener received the request or as the public origin (ISSUER) names it, on the same path', async () => {
    const proofs = new DpopProofs(ISSUER, replays(), null);
    for (const htu of ['http://LOCALHOST:8280/token', 'https://auth.example.com/token', 'https://auth.example.com:443/token']) {
      expect(await proofs.verify(received([dpopProof(key, { htu })]))).toBe(thumbprint(key));
    }
    for (const htu of ['https://localhost:8280/token', 'http://auth.example.com/token', 'https://auth.example.com/oauth2/token', 'http://localhost:8243/token']) {
      expect((await refusal(proofs, received([dpopProof(key, { htu })]))).description).toMatch(/htu must be the URI this request was sent to \(http:\/\/localhost:8280\/token or https:\/\/auth.example.com\/token\)/);
    }
    // Without a Host header only the public origin is left.
    const hostless = { ...received([dpopProof(key, { htu: 'http://localhost:8280/token' })]), host: undefined };
    expect((await refusal(proofs, hostless)).code).toBe('invalid_dpop_proof');
  });

  it('refuses two DPoP headers, even two good proofs', async () => {
    const proofs = new DpopProofs(ISSUER, replays(), null);
    const one = () => dpopProof(key, { htu: 'http://localhost:8280/token' });
    const error = await refusal(proofs, received([one(), one()]));
    expect([error.code, error.description]).toEqual(['invalid_dpop_proof', 'A request carries one DPoP header, not several.']);
  });

  it('accepts a proof once: its jti again is refused, even to a request of the same key', async () => {
    const proofs = new DpopProofs(ISSUER, replays(), null);
    const once = dpopProof(key, { htu: 'http://localhost:8280/token' });
    expect(await proofs.verify(received([once]))).toBe(thumbprint(key));
    const error = await refusal(proofs, received([once]));
    expect([error.code, error.description]).toEqual(['invalid_dpop_proof', 'The DPoP proof jti was already used: make a new proof for every request.']);
  });

  it('with nonces required: no nonce or a stale one is use_dpop_nonce with a DPoP-Nonce header, a current one passes', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 11, 7, 10, 0, 30) });
    const nonces = new DpopNonces(Buffer.alloc(32, 9));
    const proofs = new DpopProofs(ISSUER, replays(), nonces);
    const withNonce = (nonce?: string) => received([dpopProof(key, { htu: 'http://localhost:8280/token', claims: { nonce } })]);

    const missing = await refusal(proofs, withNonce());
    expect([missing.code, missing.getStatus(), missing.headers]).toEqual(['use_dpop_nonce', 400, { 'DPoP-Nonce': nonces.current() }]);
    const stale = nonces.current(Date.now() - 120_000);
    const refusedStale = await refusal(proofs, withNonce(stale));
    expect([refusedStale.code, refusedStale.description]).toEqual(['use_dpop_nonce', expect.stringMatching(/not a current one/)]);
    expect((await refusal(proofs, withNonce('forged'))).code).toBe('use_dpop_nonce');
    expect(await proofs.verify(withNonce(missing.headers['DPoP-Nonce']))).toBe(thumbprint(key));
    expect(proofs.freshNonce()).toBe(nonces.current());
  });

  it('checks the proof before the nonce: a bad proof is invalid_dpop_proof, nonce or not', async () => {
    const proofs = new DpopProofs(ISSUER, replays(), new DpopNonces(Buffer.alloc(32, 9)));
    const error = await refusal(proofs, received([dpopProof(key, { htu: 'http://localhost:8280/token', htm: 'GET' })]));
    expect(error.code).toBe('invalid_dpop_proof');
  });
});
