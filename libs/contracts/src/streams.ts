/**
 * JetStream streams. Their subjects list the event families explicitly instead of
 * `tokens.>` / `registry.>`: the RPC subjects (`tokens.rpc.*`, `registry.rpc.*`)
 * share those prefixes, and a stream capturing them would answer every RPC
 * request with a JetStream publish-ack instead of letting the service reply.
 */
export interface StreamDefinition {
  name: string;
  subjects: string[];
  /** Messages leave the stream after TOKEN_EVENT_RETENTION (its max_age); otherwise it keeps them all. */
  expires: boolean;
}

/** A message per token: it would grow forever, so it keeps TOKEN_EVENT_RETENTION (7 days by default). */
export const TOKENS_STREAM: StreamDefinition = {
  name: 'TOKENS',
  subjects: ['tokens.issued.>', 'tokens.revoked.>'],
  expires: true,
};

/**
 * Kept whole: a few messages per application, and its revocations (secret
 * regenerated, key revoked, application deleted) must reach a token service
 * that was away however long, or the tokens they revoke would stay active.
 */
export const REGISTRY_STREAM: StreamDefinition = {
  name: 'REGISTRY',
  subjects: ['registry.application.>', 'registry.keys.>', 'registry.user.>'],
  expires: false,
};

export const STREAMS: readonly StreamDefinition[] = [TOKENS_STREAM, REGISTRY_STREAM];

/** JetStream de-duplicates a re-published `Nats-Msg-Id` within this window (at least 2 minutes, so that a relay that retries after a crash or a timeout is deduplicated). */
export const DUPLICATE_WINDOW_MS = 5 * 60 * 1000;
