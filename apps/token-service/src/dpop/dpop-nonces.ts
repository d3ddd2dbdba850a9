import { createHmac, hkdfSync } from 'node:crypto';
import { sameSecretBytes } from '@keymint/contracts';

/** A nonce names one minute: it is accepted during that minute and the next (60 to 120 s after it is given). */
export const DPOP_NONCE_STEP_SECONDS = 60;

/**
 * RFC 9449 §8 server-provided nonces without shared state: a nonce is the HMAC-SHA-256 of a time step under
 * a key every replica derives from the secret they already share (the token encryption key). Any replica
 * accepts any replica's nonce, nothing is stored or looked up per request; a nonce is accepted for the
 * minute it names and the next, and the one after it too (another replica's clock a little ahead).
 */
export class DpopNonces {
  private readonly key: Buffer;
  private cached = { step: Number.NaN, nonce: '' };

  /** `sharedSecret`: the token encryption key; the nonce key is derived from it (HKDF), never the key itself. */
  constructor(sharedSecret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', sharedSecret, Buffer.alloc(0), 'keymint DPoP nonce', 32));
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(now = Date.now()): string {
    const step = stepOf(now);
    if (this.cached.step !== step) this.cached = { step, nonce: this.nonceOf(step) };
    return this.cached.nonce;
  }

  /** Whether `nonce` is one this service (any replica) gave during the last two minutes. */
  isFresh(nonce: string, now = Date.now()): boolean {
    const presented = Buffer.from(nonce);
    const step = stepOf(now);
    let fresh = false;
    for (const candidate of [step - 1, step, step + 1]) {
      const expected = Buffer.from(this.nonceOf(candidate));
      // Every candidate compared, each in constant time.
      if (sameSecretBytes(presented, expected)) fresh = true;
    }
    return fresh;
  }

  private nonceOf(step: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${step}`).digest('base64url');
  }
}

function stepOf(now: number): number {
  return Math.floor(now / 1000 / DPOP_NONCE_STEP_SECONDS);
}
