import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { JtiReplays } from '../oauth2/jti-replays';
import { OAuth2Error } from '../oauth2/oauth2-error';
import { DpopNonces } from './dpop-nonces';
import { normalizedHtu, verifyDpopProof } from './dpop-proof';
import { DpopRequest } from './dpop-request';

/** Where the proofs' used jtis are filed in JtiReplays: apart from client assertions', per key. */
const JTI_OWNER_PREFIX = 'dpop-jkt:';

/**
 * RFC 9449 §4.3 at the token endpoint, with what needs configuration and shared state: one DPoP header at
 * most, the proof itself (verifyDpopProof), `htu` as this listener received the request or as the public
 * origin (ISSUER's) names it, the server's nonce when DPOP_NONCE_REQUIRED, and the jti once on every replica.
 */
@Injectable()
export class DpopProofs {
  /** The token service's public origin: behind a TLS-terminating proxy, what clients send requests to. */
  private readonly publicOrigin: string;

  constructor(
    @Inject(CONFIG) config: Pick<TokenServiceConfig, 'ISSUER'>,
    @Inject(JtiReplays) private readonly replays: JtiReplays,
    /** null: no nonce required. */
    @Inject(DpopNonces) private readonly nonces: DpopNonces | null,
  ) {
    this.publicOrigin = new URL(config.ISSUER).origin;
  }

  /** The thumbprint of the key the request proves it holds (the tokens' `cnf.jkt`), or null when it has no DPoP header. */
  async verify(request: DpopRequest, now = Date.now()): Promise<string | null> {
    if (request.proofs.length === 0) return null;
    if (request.proofs.length > 1) throw OAuth2Error.invalidDpopProof('A request carries one DPoP header, not several.');
    const proof = verifyDpopProof(request.proofs[0], { method: request.method, targets: this.targetsOf(request) }, now);
    if (this.nonces && !(proof.nonce !== undefined && this.nonces.isFresh(proof.nonce, now))) {
      throw OAuth2Error.useDpopNonce(
        this.nonces.current(now),
        proof.nonce === undefined
          ? 'The authorization server requires a nonce in the DPoP proof: sign a new proof with the DPoP-Nonce given.'
          : 'The DPoP proof nonce is not a current one of this server: sign a new proof with the DPoP-Nonce given.',
      );
    }
    if (!(await this.replays.firstUse(`${JTI_OWNER_PREFIX}${proof.jkt}`, proof.jti, proof.acceptableUntil, now))) {
      throw OAuth2Error.invalidDpopProof('The DPoP proof jti was already used: make a new proof for every request.');
    }
    return proof.jkt;
  }

  /** The nonce a successful answer to a DPoP request carries (`DPoP-Nonce`), when nonces are required. */
  freshNonce(now = Date.now()): string | undefined {
    return this.nonces?.current(now);
  }

  /**
   * The URIs a proof's htu may name: the one this listener received (its scheme, the Host header, the path),
   * and the same path on the public origin, for clients behind a proxy that terminates TLS or rewrites Host.
   */
  private targetsOf(request: DpopRequest): string[] {
    const received = request.host === undefined ? null : normalizedHtu(`${request.scheme}://${request.host}${request.path}`);
    const published = normalizedHtu(`${this.publicOrigin}${request.path}`);
    return [...new Set([received, published].filter((uri): uri is string => uri !== null))];
  }
}
