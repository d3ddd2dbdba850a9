// A resource server (an API) that accepts keymint access tokens, with Node.js alone (node:crypto, no library).
// docs/resource-servers.md explains each step; test/resource-server.e2e-spec.ts runs this file against a cluster.
//
// For every request it:
//   1. reads the token from `Authorization: Bearer <token>` or `Authorization: DPoP <token>`;
//   2. gets its claims: a JWT is verified with keymint's public keys (JWKS); an opaque token is introspected;
//   3. checks the issuer, the lifetime and that this API is in the token's audience (RFC 8707 resource);
//   4. checks the binding: a DPoP-bound token (cnf.jkt) needs the `DPoP` scheme and a valid DPoP proof by the
//      same key (RFC 9449 §7); a certificate-bound token (cnf["x5t#S256"]) needs the same client certificate on
//      this TLS connection (RFC 8705 §3); a bearer token needs neither.
//
// Settings (environment):
//   RESOURCE            this API's resource URI, as registered on the keys that may call it (the token's aud)
//   PUBLIC_URL          this API's URL as clients call it (DPoP proofs name it in htu); default http://localhost:PORT
//   KEYMINT_ISSUER      keymint's issuer (its metadata's "issuer"), e.g. https://localhost:8243/oauth2/token
//   KEYMINT_JWKS_URL    keymint's public keys, e.g. https://localhost:8243/oauth2/jwks
//   KEYMINT_INTROSPECTION_URL, KEYMINT_INTROSPECTION_AUTH   for opaque tokens: keymint's /introspect and the
//                       Basic credentials (user:password of an admin) it is called with; unset: JWTs only
//   PORT                default 8080; TLS_CERT, TLS_KEY: PEM files to serve HTTPS (and ask for client certificates)
'use strict';

const { createHash, createPublicKey, verify, constants } = require('node:crypto');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const https = require('node:https');

const PORT = Number(process.env.PORT || 8080);
const RESOURCE = required('RESOURCE');
const ISSUER = required('KEYMINT_ISSUER');
const JWKS_URL = required('KEYMINT_JWKS_URL');
const PUBLIC_URL = process.env.PUBLIC_URL || `http://localhost:${PORT}`;
const CLOCK_SKEW_SECONDS = 30;
const PROOF_MAX_AGE_SECONDS = 60;

function required(name) {
  if (!process.env[name]) throw new Error(`${name} is required`);
  return process.env[name];
}

/** A refusal: the status, and the WWW-Authenticate challenge that tells the client why (RFC 6750 §3, RFC 9449 §7.1). */
class Refusal extends Error {
  constructor(scheme, error, description, status = 401) {
    super(description);
    this.status = status;
    this.challenge = `${scheme} error="${error}", error_description="${description}"`;
  }
}
const invalidToken = (description, scheme = 'Bearer') => new Refusal(scheme, 'invalid_token', description);
const invalidProof = (description) => new Refusal('DPoP', 'invalid_dpop_proof', description);

const base64url = (buffer) => Buffer.from(buffer).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

/** A compact JWS split into its parts; `null` when it is not one. */
function decodeJws(jws) {
  const parts = jws.split('.');
  if (parts.length !== 3) return null;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
      payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
      signedData: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return null;
  }
}

/** Verifies a JWS signature for the algorithms keymint uses (never `none`, never HMAC). */
function signatureIsValid(alg, key, data, signature) {
  try {
    if (alg === 'RS256') return verify('sha256', data, key, signature);
    if (alg === 'PS256') return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    if (alg === 'ES256') return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (alg === 'EdDSA') return verify(null, data, key, signature);
  } catch {
    // a malformed key or signature is an invalid signature
  }
  return false;
}

// ---------- 2. the token's claims ----------

let jwks = { keys: [] };
let jwksFetchedAt = 0;

/** keymint's signing key named `kid`; the set is fetched again (at most every 10 s) when a key is unknown: keys rotate. */
async function signingKey(kid) {
  let jwk = jwks.keys.find((key) => key.kid === kid);
  if (!jwk && Date.now() - jwksFetchedAt > 10_000) {
    jwksFetchedAt = Date.now();
    const response = await fetch(JWKS_URL);
    if (response.ok) jwks = await response.json();
    jwk = jwks.keys.find((key) => key.kid === kid);
  }
  return jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : null;
}

/** A JWT access token (RFC 9068) verified with keymint's public keys: its claims. */
async function jwtClaims(token, scheme) {
  const jws = decodeJws(token);
  if (!jws || jws.header.typ !== 'at+jwt') throw invalidToken('not a keymint access token', scheme);
  const key = await signingKey(jws.header.kid);
  if (!key || !signatureIsValid(jws.header.alg, key, jws.signedData, jws.signature)) throw invalidToken('bad signature', scheme);
  return jws.payload;
}

/** An opaque token's claims from keymint's introspection (RFC 7662); inactive tokens are refused. */
async function introspectedClaims(token, scheme) {
  if (!process.env.KEYMINT_INTROSPECTION_URL) throw invalidToken('opaque tokens are not accepted here', scheme);
  const response = await fetch(process.env.KEYMINT_INTROSPECTION_URL, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(process.env.KEYMINT_INTROSPECTION_AUTH || '').toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }).toString(),
  });
  if (!response.ok) throw new Refusal(scheme, 'temporarily_unavailable', 'introspection failed', 503);
  const claims = await response.json();
  if (claims.active !== true) throw invalidToken('the token is not active', scheme);
  return claims;
}

// ---------- 3. issuer, lifetime, audience ----------

function checkClaims(claims, scheme) {
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== ISSUER) throw invalidToken('another issuer', scheme);
  if (typeof claims.exp !== 'number' || claims.exp <= now - CLOCK_SKEW_SECONDS) throw invalidToken('expired', scheme);
  if (typeof claims.nbf === 'number' && claims.nbf > now + CLOCK_SKEW_SECONDS) throw invalidToken('not yet valid', scheme);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(RESOURCE)) throw invalidToken(`the token is not for ${RESOURCE}`, scheme);
}

// ---------- 4. the binding ----------

const THUMBPRINT_MEMBERS = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** RFC 7638 JWK thumbprint: SHA-256 of the required members in lexicographic order, base64url. */
function thumbprint(jwk) {
  const members = THUMBPRINT_MEMBERS[jwk.kty];
  if (!members) throw invalidProof('unsupported jwk kty');
  return base64url(sha256(JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])))));
}

/** Proof ids seen while they could still be accepted: a captured proof cannot be played again. */
const seenProofIds = new Map();

/** RFC 9449 §4.3 and §7.1: the request's DPoP proof, by the key the token is bound to, for this request and this token. */
function checkDpopProof(request, token, boundThumbprint) {
  const header = request.headers.dpop;
  if (typeof header !== 'string') throw invalidProof('a DPoP-bound token needs exactly one DPoP proof');
  const proof = decodeJws(header);
  if (!proof || proof.header.typ !== 'dpop+jwt') throw invalidProof('the proof is not a dpop+jwt');
  const jwk = proof.header.jwk;
  if (!jwk || typeof jwk !== 'object' || PRIVATE_MEMBERS.some((name) => name in jwk)) throw invalidProof('the proof needs a public jwk');
  if (!signatureIsValid(proof.header.alg, publicKeyOf(jwk), proof.signedData, proof.signature)) throw invalidProof('bad proof signature');
  const claims = proof.payload;
  const path = new URL(request.url, PUBLIC_URL).pathname;
  if (claims.htm !== request.method) throw invalidProof('htm is not this request method');
  if (typeof claims.htu !== 'string' || stripQuery(claims.htu) !== new URL(path, PUBLIC_URL).href) throw invalidProof('htu is not this URL');
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.iat !== 'number' || claims.iat < now - PROOF_MAX_AGE_SECONDS || claims.iat > now + CLOCK_SKEW_SECONDS) {
    throw invalidProof('iat is too old or in the future');
  }
  if (claims.ath !== base64url(sha256(token))) throw invalidProof('ath is not the hash of this token');
  if (thumbprint(jwk) !== boundThumbprint) throw invalidProof('the proof is by another key than the token is bound to');
  if (typeof claims.jti !== 'string' || seenProofIds.has(claims.jti)) throw invalidProof('jti missing or already used');
  for (const [jti, expiresAt] of seenProofIds) if (expiresAt < now) seenProofIds.delete(jti);
  seenProofIds.set(claims.jti, now + PROOF_MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS);
}

function publicKeyOf(jwk) {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw invalidProof('the proof jwk is not a usable public key');
  }
}

function stripQuery(url) {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '';
  }
}

/** RFC 8705 §3: the client certificate of this TLS connection is the one the token is bound to. */
function checkCertificate(request, boundThumbprint) {
  const certificate = typeof request.socket.getPeerCertificate === 'function' ? request.socket.getPeerCertificate() : null;
  if (!certificate || !certificate.raw) throw invalidToken('a certificate-bound token needs the client certificate');
  if (base64url(sha256(certificate.raw)) !== boundThumbprint) throw invalidToken('another client certificate than the token is bound to');
}

function checkBinding(request, token, scheme, claims) {
  const cnf = claims.cnf || {};
  if (cnf.jkt) {
    // A DPoP-bound token sent as a bearer token is refused: whoever copied it lacks the key.
    if (scheme !== 'DPoP') throw invalidToken('this token is DPoP-bound: use the DPoP scheme and a proof', 'DPoP');
    checkDpopProof(request, token, cnf.jkt);
  } else if (scheme === 'DPoP') {
    throw invalidToken('this token is not DPoP-bound', 'DPoP');
  }
  if (cnf['x5t#S256']) checkCertificate(request, cnf['x5t#S256']);
}

// ---------- the API ----------

async function authorize(request) {
  const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(request.headers.authorization || '');
  if (!match) throw new Refusal('Bearer', 'invalid_request', 'an access token is required');
  const scheme = match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
  const token = match[2];
  const claims = token.split('.').length === 3 ? await jwtClaims(token, scheme) : await introspectedClaims(token, scheme);
  checkClaims(claims, scheme);
  checkBinding(request, token, scheme, claims);
  return claims;
}

async function handle(request, response) {
  try {
    const claims = await authorize(request);
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify({ client_id: claims.client_id, sub: claims.sub, scope: claims.scope, cnf: claims.cnf || null }));
  } catch (error) {
    const refusal = error instanceof Refusal ? error : new Refusal('Bearer', 'invalid_token', 'the token could not be checked');
    response.writeHead(refusal.status, { 'Content-Type': 'application/json', 'WWW-Authenticate': refusal.challenge });
    response.end(JSON.stringify({ error: refusal.message }));
  }
}

const server = process.env.TLS_CERT
  ? https.createServer(
      { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY), requestCert: true, rejectUnauthorized: false },
      handle,
    )
  : http.createServer(handle);
server.listen(PORT, '127.0.0.1', () => console.log(`resource server for ${RESOURCE} on port ${PORT}`));
