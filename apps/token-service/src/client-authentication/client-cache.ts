import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'nats';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { ClientRecord, RPC_SUBJECTS } from '@keymint/contracts';
import { decodeEvents, isEventProblem, MalformedResponseError, NatsClient, RpcClient } from '@keymint/messaging';
import { logFieldsOf, RequestContext } from '@keymint/telemetry';
import { clientCacheLookups } from '../metrics/token-metrics';

const NEGATIVE_TTL_MS = 30_000;
// Bound once: a hit is on every token request.
const HITS = clientCacheLookups.labels({ result: 'hit' });
const MISSES = clientCacheLookups.labels({ result: 'miss' });
const STALE_SERVED = clientCacheLookups.labels({ result: 'stale' });
const MAX_ENTRIES = 200_000;

interface CacheEntry {
  record: ClientRecord | null;
  expiresAt: number;
}

/** Changes after which a cached record must never be served again, even when the registry is away. */
const DROPPING_EVENTS = new Set<string>([
  'registry.keys.secret-regenerated.v1',
  // One secret revoked: it must stop working at once, while the key's other secrets (and tokens) go on.
  'registry.keys.secret-revoked.v1',
  'registry.keys.revoked.v1',
  'registry.application.deleted.v1',
]);

/**
 * Clients in memory (docs/token-api.md, "Clients and the registry"): filled by RPC on a miss, refreshed after
 * CLIENT_CACHE_TTL. Registry events reach every replica: a regenerated or revoked secret,
 * a deleted key or application drops the entry (the old secret must stop
 * working even while the registry is away); other changes, and a NATS
 * reconnect (events may have been missed), only expire it. When the registry
 * does not answer, an expired entry is served so issuing goes on; unknown keys
 * are remembered ~30 s.
 */
@Injectable()
export class ClientCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ClientCache.name);
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ClientRecord | null>>();
  private subscriptions: Subscription[] = [];
  private readonly ttlMs: number;

  constructor(
    @Inject(CONFIG) config: TokenServiceConfig,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(NatsClient) private readonly nats: NatsClient,
  ) {
    this.ttlMs = config.CLIENT_CACHE_TTL * 1000;
  }

  onApplicationBootstrap(): void {
    const connection = this.nats.connection;
    for (const subject of ['registry.keys.>', 'registry.application.>']) {
      this.subscriptions.push(
        connection.subscribe(subject, { callback: (_error, message) => this.onRegistryEvent(message.subject, message.data) }),
      );
    }
    void (async () => {
      // Events missed while disconnected cannot be replayed on a core subscription: ask again, but keep
      // the known records, since the registry may come back to the bus later than we do.
      for await (const status of connection.status()) {
        if (status.type === 'reconnect') for (const entry of this.entries.values()) entry.expiresAt = 0;
      }
    })();
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  /**
   * The key's record, for the request `origin`: a lookup's RPC, and what it logs, carry it (the first request's,
   * for the requests of a burst that wait for the same lookup).
   */
  async get(consumerKey: string, origin?: RequestContext): Promise<ClientRecord | null> {
    const entry = this.entries.get(consumerKey);
    const now = Date.now();
    if (entry && entry.expiresAt > now) {
      HITS.inc();
      return entry.record;
    }
    let pending = this.inFlight.get(consumerKey);
    if (!pending) {
      pending = this.load(consumerKey, entry, origin).finally(() => this.inFlight.delete(consumerKey));
      this.inFlight.set(consumerKey, pending);
    }
    return pending;
  }

  invalidate(consumerKey: string): void {
    this.entries.delete(consumerKey);
  }

  private async load(consumerKey: string, stale: CacheEntry | undefined, origin: RequestContext | undefined): Promise<ClientRecord | null> {
    let answer: ClientRecord | null;
    MISSES.inc();
    try {
      // RpcClient checks the answer against the client record schema (RPC_SCHEMAS).
      answer = await this.rpc.request(RPC_SUBJECTS.getClient, { consumerKey }, origin);
      if (answer && answer.consumerKey !== consumerKey) throw new MalformedResponseError(RPC_SUBJECTS.getClient, `a record for another key (${answer.consumerKey})`);
    } catch (error) {
      // The registry is another team's service: a record that would break the token path is refused, not trusted.
      if (error instanceof MalformedResponseError) {
        this.logger.warn({ msg: `the registry answered a malformed client record; treating the key as unknown: ${error.message}`, ...logFieldsOf(origin) });
        answer = null;
      } else if (stale) {
        // The registry is down or slow: keep issuing for a client we already know.
        this.logger.warn({ msg: `client lookup failed, serving the cached client: ${(error as Error).message}`, ...logFieldsOf(origin) });
        stale.expiresAt = Date.now() + Math.min(this.ttlMs, NEGATIVE_TTL_MS);
        STALE_SERVED.inc();
        return stale.record;
      } else {
        throw error;
      }
    }
    this.remember(consumerKey, answer);
    return answer;
  }

  private remember(consumerKey: string, record: ClientRecord | null): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(consumerKey, { record, expiresAt: Date.now() + (record ? this.ttlMs : NEGATIVE_TTL_MS) });
  }

  private onRegistryEvent(subject: string, data: Uint8Array): void {
    const drop = DROPPING_EVENTS.has(subject);
    for (const received of decodeEvents({ subject, data })) {
      if (isEventProblem(received)) {
        // Fail safe: an event we cannot read may be a change that ends a client (a rolling upgrade that has
        // the registry speak a newer schema, say), so every client is forgotten as that change would forget it.
        this.logger.warn(`could not read a ${subject} event (${received.problem}); forgetting every cached client`);
        this.forget([...this.entries.keys()], drop);
      } else if ('consumerKey' in received.event) {
        this.forget([received.event.consumerKey], drop);
      } else if ('applicationId' in received.event) {
        const { applicationId } = received.event;
        this.forget([...this.entries].filter(([, entry]) => entry.record?.applicationId === applicationId).map(([key]) => key), drop);
      }
    }
  }

  /** `drop`: never served again; else asked for again, but still served while the registry does not answer. */
  private forget(consumerKeys: string[], drop: boolean): void {
    for (const key of consumerKeys) {
      const entry = this.entries.get(key);
      if (drop) this.entries.delete(key);
      else if (entry) entry.expiresAt = 0;
    }
  }
}
