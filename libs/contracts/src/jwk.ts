/**
 * RFC 7517/7518 members that only a private or symmetric JWK has. keymint takes public keys only, wherever a
 * JWK reaches it: a client's registered JWK Set (the registry) and a DPoP proof's `jwk` header (the token
 * service). A private JWK must be refused by name: node:crypto's createPublicKey would quietly derive the
 * public half of one.
 */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The first private or symmetric member `jwk` has, or undefined for a public key. */
export function privateJwkMember(jwk: Record<string, unknown>): string | undefined {
  return PRIVATE_JWK_MEMBERS.find((member) => jwk[member] !== undefined);
}

/**
 * The RSA public keys keymint takes from clients (registered JWK Sets, DPoP proofs): at least 2048 bits, and no
 * more than 4096 bits with an exponent that fits in 32 bits (65537 in practice). Checking a signature costs with
 * the modulus and the exponent, which the client chooses; OpenSSL takes exponents as large as the modulus, which
 * makes one check cost about as much as a private-key operation (milliseconds on the token service's request thread).
 */
export const RSA_KEY_BITS = { min: 2048, max: 4096 } as const;
export const MAX_RSA_PUBLIC_EXPONENT = 2n ** 32n;
