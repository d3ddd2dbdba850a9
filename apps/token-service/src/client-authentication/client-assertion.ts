import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { acceptedAlgorithm, CLIENT_SIGNING_ALGORITHMS, decodeJws, DecodedJws, JwsAlgorithm, jwkFitsAlgorithm, verifyJws } from '../oauth2/jws';
import { OAuth2Error } from '../oauth2/oauth2-error';

/** RFC 7523 §2.2: the only client_assertion_type keymint accepts. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Asymmetric only: the server holds public keys, never a shared secret (no `none`, no HMAC). */
export const ASSERTION_ALGORITHMS = CLIENT_SIGNING_ALGORITHMS;
/** An assertion may be valid for at most this long from now: a captured one is worth little. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Clocks of clients and servers differ a little: `exp`, `nbf` and `iat` are given this much room. */
export const ASSERTION_CLOCK_SKEW_SECONDS = 30;
const MAX_ASSERTION_LENGTH = 8192;

/** A client's registered public keys (RFC 7517 JWK Set). */
export interface ClientJwks {
  keys: Array<JsonWebKey & { kid?: string; alg?: string; use?: string }>;
}

/** What an accepted assertion leaves to check elsewhere: its `jti`, unused until `expiresAt` (epoch ms). */
export interface VerifiedAssertion {
  jti: string;
  expiresAt: number;
}

/** The client an assertion names (its `sub`), read before anything is checked; null when it is no JWT. */
export function assertionSubject(assertion: string): string | null {
  const decoded = decode(assertion);
  const subject = decoded?.payload.sub;
  return typeof subject === 'string' && subject !== '' ? subject : null;
}

/**
 * RFC 7523 §3 and RFC 7521 §4.2 for `private_key_jwt`: `iss` and `sub` are the
 * client, `aud` names this server, `exp` is near, `nbf`/`iat` are not in the
 * future, a `jti` is present, and the signature is by one of the client's
 * registered keys (the one `kid` names, when given) with an asymmetric
 * algorithm. Each failure is `invalid_client` saying what was wrong. The
 * `jti`'s single use is the caller's (it needs the store replicas share).
 */
export function verifyClientAssertion(
  assertion: string,
  client: { consumerKey: string; jwks: ClientJwks | null },
  audiences: readonly string[],
  now = Date.now(),
): VerifiedAssertion {
  const decoded = decode(assertion);
  if (!decoded) throw refused('client_assertion is not a signed JWT (header.payload.signature, base64url JSON).');
  const { header, payload } = decoded;
  const alg = acceptedAlgorithm(header.alg, ASSERTION_ALGORITHMS);
  if (!alg) throw refused(`client_assertion alg ${JSON.stringify(header.alg)} is not accepted: use one of ${ASSERTION_ALGORITHMS.join(', ')}.`);
  if (payload.iss !== client.consumerKey || payload.sub !== client.consumerKey) {
    throw refused('client_assertion iss and sub must both be the client_id.');
  }
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!aud.some((value) => typeof value === 'string' && audiences.includes(value))) {
    throw refused(`client_assertion aud must name this authorization server: ${audiences.join(' or ')}.`);
  }
  const seconds = now / 1000;
  if (typeof payload.exp !== 'number') throw refused('client_assertion must have a numeric exp.');
  if (payload.exp + ASSERTION_CLOCK_SKEW_SECONDS <= seconds) throw refused('client_assertion has expired.');
  if (payload.exp - seconds > MAX_ASSERTION_LIFETIME_SECONDS + ASSERTION_CLOCK_SKEW_SECONDS) {
    throw refused(`client_assertion exp is too far ahead: at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds from now.`);
  }
  for (const claim of ['nbf', 'iat'] as const) {
    const value = payload[claim];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw refused(`client_assertion ${claim} must be a number.`);
    if (value - ASSERTION_CLOCK_SKEW_SECONDS > seconds) throw refused(`client_assertion ${claim} is in the future.`);
  }
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) {
    throw refused('client_assertion must have a jti (a unique id of at most 256 characters).');
  }

  const keys = candidateKeys(client.jwks, alg, header.kid);
  if (!keys.some((key) => verifyJws(alg, key, decoded.signedPart, decoded.signature))) {
    throw refused('client_assertion signature does not match a registered key of the client.');
  }
  return { jti: payload.jti, expiresAt: (payload.exp + ASSERTION_CLOCK_SKEW_SECONDS) * 1000 };
}

/** The client's keys that may have made this signature: the `kid`'s when given, else every key of the algorithm's type. */
function candidateKeys(jwks: ClientJwks | null, alg: JwsAlgorithm, kid: unknown): KeyObject[] {
  if (!jwks || jwks.keys.length === 0) throw refused('The client has no registered public keys (jwks) for private_key_jwt.');
  if (kid !== undefined && typeof kid !== 'string') throw refused('client_assertion kid must be a string.');
  const named = kid === undefined ? jwks.keys : jwks.keys.filter((jwk) => jwk.kid === kid);
  if (named.length === 0) throw refused(`No registered key of the client has kid ${JSON.stringify(kid)}.`);
  const fitting = named.filter((jwk) => jwkFitsAlgorithm(jwk, alg));
  if (fitting.length === 0) throw refused(`No registered key of the client can verify ${alg}.`);
  return fitting.map(publicKeyOf);
}

/** A JWK's key object, made once per JWK object (client records are cached, so are their keys). */
const publicKeys = new WeakMap<object, KeyObject>();
export function publicKeyOf(jwk: JsonWebKey): KeyObject {
  let key = publicKeys.get(jwk);
  if (!key) {
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw refused('A registered key of the client cannot be read as a public key.');
    }
    publicKeys.set(jwk, key);
  }
  return key;
}

function decode(assertion: string): DecodedJws | null {
  return decodeJws(assertion, MAX_ASSERTION_LENGTH);
}

function refused(description: string): OAuth2Error {
  return OAuth2Error.invalidClient(description);
}
