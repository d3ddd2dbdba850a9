import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'nats';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { decodeEvents, isEventProblem, NatsClient } from '@keymint/messaging';
import { ReusableTokens } from './reusable-tokens';

/**
 * A token revoked on another replica must not be handed out again by this
 * replica's reuse index: every replica listens to tokens.revoked.v1 (core
 * subscription, so each replica gets every event) and forgets those tokens.
 * With TOKEN_RENEW_PER_REQUEST there is no reuse index, and every token issued
 * revokes its predecessor: it does not listen then.
 */
@Injectable()
export class ReuseInvalidation implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    @Inject(CONFIG) private readonly config: TokenServiceConfig,
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(ReusableTokens) private readonly reusable: ReusableTokens,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.TOKEN_RENEW_PER_REQUEST) return;
    this.subscription = this.nats.connection.subscribe('tokens.revoked.>', {
      callback: (_error, message) => {
        // One event or several (EVENTS_PER_MESSAGE).
        for (const parsed of decodeEvents(message)) {
          if (isEventProblem(parsed)) {
            // Fail safe: a revocation we cannot read may name any token; the store decides again for every key.
            this.reusable.forgetAll();
            continue;
          }
          if (parsed.subject !== 'tokens.revoked.v1') continue;
          const { tokenId, consumerKey } = parsed.event;
          if (tokenId !== null) this.reusable.forgetTokens([tokenId]);
          else this.reusable.forgetConsumerKey(consumerKey);
        }
      },
    });
    void (async () => {
      for await (const status of this.nats.connection.status()) {
        if (status.type === 'reconnect') this.reusable.forgetAll();
      }
    })();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
