import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'nats';
import { NatsClient } from '@keymint/messaging';
import { TokenIssuer } from './token-issuer';

/**
 * A token revoked on another replica must not be handed out again by this
 * replica's reuse index: every replica listens to tokens.revoked.v1 (core
 * subscription, so each replica gets every event) and forgets those tokens.
 */
@Injectable()
export class ReuseInvalidation implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.connection.subscribe('tokens.revoked.>', {
      callback: (_error, message) => {
        try {
          const event = JSON.parse(Buffer.from(message.data).toString('utf8')) as { tokenId?: unknown; consumerKey?: unknown };
          if (typeof event.tokenId === 'string') this.issuer.forgetTokens([event.tokenId]);
          else if (typeof event.consumerKey === 'string') this.issuer.forgetConsumerKey(event.consumerKey);
        } catch {
          // Not an event body; nothing to forget.
        }
      },
    });
    void (async () => {
      for await (const status of this.nats.connection.status()) {
        if (status.type === 'reconnect') this.issuer.forgetAll();
      }
    })();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
