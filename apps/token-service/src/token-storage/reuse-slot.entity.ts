import { createHash } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TokenConfirmation } from '@keymint/contracts';

/** What a reused token must have been issued for besides its scopes: its resources and the key or certificate it is bound to. */
export interface ReuseBinding {
  audience?: readonly string[];
  confirmation?: TokenConfirmation;
}

/**
 * The reuse key of a consumer key's token for a scope set (the slot's key, and a token row's `reuseKey`): the
 * consumer key first, so that all of a key's reuse keys share a prefix. A token for resources or bound to a
 * key gets a key of its own (their SHA-256, to keep it short), so reuse never hands a token to a request for
 * other resources or proving another key; a plain bearer token keeps the key it always had.
 */
export function reuseKeyOf(consumerKey: string, scopes: readonly string[], binding: ReuseBinding = {}): string {
  const base = `${consumerKey}\n${scopes.join(' ')}`;
  const bound =
    binding.audience === undefined && binding.confirmation === undefined
      ? ''
      : `\n${sha256(JSON.stringify([binding.audience ?? [], binding.confirmation?.jkt ?? '', binding.confirmation?.['x5t#S256'] ?? '']))}`;
  if (base.length + bound.length <= MAX_REUSE_KEY_LENGTH) return base + bound;
  // Long scope sets: their SHA-256 instead, still after the consumer key. The leading space keeps it apart from
  // any scope list, which never starts with one (RFC 6749 scope-tokens hold no space).
  return `${consumerKey}\n ${sha256(scopes.join(' '))}${bound}`;
}

/** The reuse key's column (and token rows' `reuseKey`) holds this much; a consumer key has at most 255 characters. */
const MAX_REUSE_KEY_LENGTH = 500;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/**
 * The one reusable token of a (consumer key, scope set), shared by every
 * replica: claiming the slot in the database is what keeps a burst spread
 * over several replicas down to one active token (docs/token-api.md, "Token reuse").
 */
@Entity('reuse_slots')
export class ReuseSlot {
  @PrimaryColumn({ type: 'varchar', length: 500 })
  reuseKey: string;

  @Column({ type: 'varchar', length: 36 })
  tokenId: string;

  /** The key's secrets when the token was issued (secretsFingerprint): a regenerated secret ends reuse at once. */
  @Column({ type: 'varchar', length: 64 })
  secretHash: string;
}
