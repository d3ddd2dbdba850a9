import { constants, KeyObject, verify } from 'node:crypto';

/** The JWS algorithms keymint verifies: its own tokens' (RS256, ES256, EdDSA) and client assertions' (also PS256). */
export type JwsAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** Inline, for every algorithm: a verification costs 22 µs (RS256) to ~110 µs (EdDSA), less than the trip through the thread pool. */
export function verifyJws(algorithm: JwsAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    if (algorithm === 'EdDSA') return verify(null, data, key, signature);
    if (algorithm === 'ES256') return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (algorithm === 'PS256') return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    return verify('sha256', data, key, signature);
  } catch {
    // A malformed signature is an invalid one, not an error.
    return false;
  }
}
