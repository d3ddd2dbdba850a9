import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { MAX_RSA_PUBLIC_EXPONENT, privateJwkMember, RSA_KEY_BITS } from '@keymint/contracts';
import { acceptedAlgorithm, CLIENT_SIGNING_ALGORITHMS, decodeJws, jwkFitsAlgorithm, jwkThumbprint, verifyJws } from '../oauth2/jws';
import { OAuth2Error } from '../oauth2/oauth2-error';

/** RFC 9449 §4.2: the proof's `typ`, which keeps any other JWT (an access token, a client assertion) from passing for one. */
export const DPOP_PROOF_TYPE = 'dpop+jwt';
/** The algorithms a proof may be signed with (the metadata's `dpop_signing_alg_values_supported`): asymmetric only. */
export const DPOP_ALGORITHMS = CLIENT_SIGNING_ALGORITHMS;
/** A proof is accepted for this long after its `iat` (RFC 9449 §11.1: a short window, which its jti is remembered for). */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;
/** A client's clock may be this far ahead of the server's. */
export const DPOP_PROOF_CLOCK_SKEW_SECONDS = 10;
/** Room for an RSA key of 4096 bits in the header, and then some. */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;


/** What a proof is checked against: the request's method and the URIs it may have been sent to (normalized by `normalizedHtu`). */
export interface ProofExpectation {
  method: string;
  targets: readonly string[];
}

/** A proof that passed every check of RFC 9449 §4.3 that needs no state: what is left to the caller. */
export interface VerifiedDpopProof {
  /** RFC 7638 thumbprint of the proof's key: the token's `cnf.jkt`. */
  jkt: string;
  jti: string;
  /** Epoch ms after which the proof is no longer accepted (its jti need not be remembered longer). */
  acceptableUntil: number;
  /** The `nonce` claim, when there is one (RFC 9449 §8). */
  nonce: string | undefined;
}

/**
 * RFC 9449 §4.3 for one DPoP header's value, in the RFC's order but for the private-key check, which comes
 * before the signature (the key is only read once it is known to be public): a JWT with the required members,
 * `typ` dpop+jwt, an accepted asymmetric `alg`, a `jwk` that is a public key (never private members), the
 * signature by that key, `htm` and `htu` those of the request (`htu` without query and fragment), and `iat`
 * within DPOP_PROOF_MAX_AGE_SECONDS back and DPOP_PROOF_CLOCK_SKEW_SECONDS ahead. Each failure is
 * `invalid_dpop_proof` saying what was wrong. The nonce and the jti's single use are the caller's (they need
 * configuration and the store replicas share); more than one header too.
 */
export function verifyDpopProof(proof: string, expected: ProofExpectation, now = Date.now()): VerifiedDpopProof {
  const decoded = decodeJws(proof, MAX_PROOF_LENGTH);
  if (!decoded) throw refused('The DPoP header is not a signed JWT (header.payload.signature, base64url JSON).');
  const { header, payload } = decoded;
  for (const member of ['typ', 'alg', 'jwk'] as const) if (header[member] === undefined) throw refused(`The DPoP proof header has no ${member}.`);
  for (const claim of ['jti', 'htm', 'htu', 'iat'] as const) if (payload[claim] === undefined) throw refused(`The DPoP proof has no ${claim} claim.`);
  if (header.typ !== DPOP_PROOF_TYPE) throw refused(`The DPoP proof typ must be ${DPOP_PROOF_TYPE}, not ${JSON.stringify(header.typ)}.`);
  const alg = acceptedAlgorithm(header.alg, DPOP_ALGORITHMS);
  if (!alg) throw refused(`The DPoP proof alg ${JSON.stringify(header.alg)} is not accepted: use one of ${DPOP_ALGORITHMS.join(', ')}.`);

  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw refused('The DPoP proof jwk must be a JSON Web Key object.');
  const { key, jkt } = publicKeyOf(jwk as Record<string, unknown>, alg);
  if (!verifyJws(alg, key, decoded.signedPart, decoded.signature)) throw refused('The DPoP proof signature does not verify with its jwk.');
  // Kept only once it has signed a proof: keys that sign nothing cannot push real clients' keys out.
  rememberKey(jkt, key);

  if (payload.htm !== expected.method) throw refused(`The DPoP proof htm must be ${expected.method}, the method of this request.`);
  const htu = typeof payload.htu === 'string' ? normalizedHtu(payload.htu) : null;
  if (htu === null) throw refused('The DPoP proof htu must be an absolute http or https URI.');
  if (!expected.targets.includes(htu)) throw refused(`The DPoP proof htu must be the URI this request was sent to (${expected.targets.join(' or ')}), without query and fragment.`);

  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refused('The DPoP proof iat must be a number (seconds since the epoch).');
  const seconds = now / 1000;
  if (iat > seconds + DPOP_PROOF_CLOCK_SKEW_SECONDS) throw refused('The DPoP proof iat is in the future.');
  if (iat < seconds - DPOP_PROOF_MAX_AGE_SECONDS) throw refused(`The DPoP proof is too old: its iat must be within the last ${DPOP_PROOF_MAX_AGE_SECONDS} seconds.`);
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw refused(`The DPoP proof jti must be a unique string of 1 to ${MAX_JTI_LENGTH} characters.`);
  const nonce = payload.nonce;
  if (nonce !== undefined && typeof nonce !== 'string') throw refused('The DPoP proof nonce must be a string.');

  return { jkt, jti, acceptableUntil: (iat + DPOP_PROOF_MAX_AGE_SECONDS) * 1000, nonce };
}

/**
 * A URI as a proof's `htu` is compared (RFC 9449 §4.3 point 9): scheme, host and path, with the scheme and host
 * in lower case, the scheme's default port left out and dot segments resolved (RFC 3986 §6.2.2 and §6.2.3,
 * as WHATWG URL parsing does them); no query, no fragment. Null for what is not an absolute http(s) URI.
 */
export function normalizedHtu(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The keys of recent proofs by RFC 7638 thumbprint (the SHA-256 of the members that make the key, so one
 * thumbprint is one key): a client proves with the same key request after request, and reading a JWK into a
 * key costs as much as checking the signature (~65 µs each for P-256). The oldest goes first past the bound.
 */
const recentKeys = new Map<string, KeyObject>();
const RECENT_KEYS_MAX = 10_000;

/** The proof's key and its thumbprint, once it is known to be a public key of the type `alg` signs with. */
function publicKeyOf(jwk: Record<string, unknown>, alg: (typeof DPOP_ALGORITHMS)[number]): { key: KeyObject; jkt: string } {
  // Before createPublicKey, which would take a private JWK and quietly use its public half.
  const secret = privateJwkMember(jwk);
  if (secret) throw refused(`The DPoP proof jwk holds private key material ('${secret}'): send the public key only.`);
  if (!jwkFitsAlgorithm(jwk as JsonWebKey, alg)) throw refused(`The DPoP proof jwk is not a key for ${alg}.`);
  const jkt = jwkThumbprint(jwk);
  if (jkt === null) throw refused('The DPoP proof jwk lacks a member of its key type.');
  const recent = recentKeys.get(jkt);
  if (recent) return { key: recent, jkt };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw refused('The DPoP proof jwk is not a valid public key.');
  }
  if (jwk.kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_KEY_BITS.min || bits > RSA_KEY_BITS.max) throw refused(`The DPoP proof jwk must be an RSA key of ${RSA_KEY_BITS.min} to ${RSA_KEY_BITS.max} bits.`);
    if ((key.asymmetricKeyDetails?.publicExponent ?? MAX_RSA_PUBLIC_EXPONENT) >= MAX_RSA_PUBLIC_EXPONENT) {
      throw refused('The DPoP proof jwk has an RSA public exponent over 32 bits (use 65537).');
    }
  }
  return { key, jkt };
}

function rememberKey(jkt: string, key: KeyObject): void {
  if (recentKeys.has(jkt)) return;
  if (recentKeys.size >= RECENT_KEYS_MAX) recentKeys.delete(recentKeys.keys().next().value!);
  recentKeys.set(jkt, key);
}

function refused(description: string): OAuth2Error {
  return OAuth2Error.invalidDpopProof(description);
}
