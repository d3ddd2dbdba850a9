import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { durableName, REGISTRY_STREAM } from '@keymint/contracts';
import { DurableConsumer, EventToApply, NatsClient } from '@keymint/messaging';
import { Database } from '@keymint/persistence';
import { TokenRevoker } from '../revocation/token-revoker';
/**
 * The registry's changes that end tokens: a regenerated secret, a deleted key or a deleted application
 * revokes its tokens; a user's password change, a role taken away or the user's deletion revokes the
 * user's access and refresh tokens, of every key. Exactly once across replicas (shared durable consumer),
 * with tokens.revoked.v1 in the same transaction, each carrying the registry request that made the change.
 */
@Injectable()
export class RegistryEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: DurableConsumer;

  constructor(
    @Inject(NatsClient) nats: NatsClient,
    @Inject(Database) database: Database,
    @Inject(TokenRevoker) private readonly revoker: TokenRevoker,
  ) {
    this.consumer = new DurableConsumer(nats, database, { stream: REGISTRY_STREAM, durable: durableName('token-service', REGISTRY_STREAM) }, (manager, events) =>
      this.apply(manager, events),
    );
  }

  onApplicationBootstrap(): void {
    this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  async apply(manager: EntityManager, events: EventToApply[]): Promise<void> {
    for (const received of events) {
      switch (received.subject) {
        case 'registry.keys.secret-regenerated.v1':
          await this.revoker.revokeConsumerKeyInTransaction(manager, received.event.consumerKey, received.event.applicationId, 'secret_regenerated', received.origin);
          break;
        // secret-revoked ends no token: rotating one secret of several is not an outage (docs/decisions.md); the
        // client cache drops the key so the revoked secret stops working. A leaked secret: regenerate-secret.
        case 'registry.keys.revoked.v1':
          await this.revoker.revokeConsumerKeyInTransaction(manager, received.event.consumerKey, received.event.applicationId, 'key_revoked', received.origin);
          break;
        case 'registry.application.deleted.v1':
          await this.revoker.revokeApplicationInTransaction(manager, received.event.applicationId, 'application_deleted', received.origin);
          break;
        case 'registry.user.updated.v1':
          // The password changed: whoever signed in with the old one keeps nothing.
          await this.revoker.revokeUserInTransaction(manager, received.event.username, 'password_changed', received.origin);
          break;
        case 'registry.user.roles-changed.v1':
          // A role taken away: the user's tokens may carry scopes bound to it. A role given takes nothing away.
          if (received.event.previousRoles.some((role) => !received.event.roles.includes(role))) {
            await this.revoker.revokeUserInTransaction(manager, received.event.username, 'role_removed', received.origin);
          }
          break;
        case 'registry.user.deleted.v1':
          await this.revoker.revokeUserInTransaction(manager, received.event.username, 'user_deleted', received.origin);
          break;
        default:
          break;
      }
    }
  }
}

