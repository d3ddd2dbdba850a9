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
