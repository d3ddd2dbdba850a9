import { Logger } from '@nestjs/common';
import {
  connect,
  JetStreamClient,
  JetStreamManager,
  NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { withoutUrlCredentials } from '@keymint/config';
import { DUPLICATE_WINDOW_MS, inboxPrefix, StreamDefinition } from '@keymint/contracts';
import { NatsAccess, natsConnectionOptions } from './nats-connection-options';

/** How the event streams are kept: created or updated to this by every service at start. */
export interface StreamSettings {
  /** JetStream replicas (NATS_STREAM_REPLICAS); default 1. */
  replicas?: number;
  /** TOKEN_EVENT_RETENTION: the max_age of the streams that expire (StreamDefinition.expires). 0 or unset: forever. */
  retentionSeconds?: number;
  /**
   * The streams this service creates and keeps up to date (its role's `managesStreams`, bus-access.ts): the
   * streams it publishes to. It may not touch the others; their consumers wait until the owner has created them.
   */
  managed?: readonly StreamDefinition[];
}

/**
 * The service's JetStream connection: reconnects forever, logs every state
 * change, and knows whether the bus is up right now (for /health).
 */
export class NatsClient {
  private readonly logger = new Logger('NatsClient');
  private connected = false;
  private jetStreamManager?: JetStreamManager;

  private constructor(
    readonly connection: NatsConnection,
    readonly jetStream: JetStreamClient,
    /** Where this connection's replies arrive: the only subjects under _INBOX its user may subscribe to. */
    readonly inboxPrefix: string,
    private readonly streamReplicas: number,
    private readonly retentionMs: number,
    private readonly managedStreams: readonly StreamDefinition[],
  ) {}

  /** Resolves once NATS is reachable: a service started before NATS waits for it. */
  static async connect(access: NatsAccess, name: string, streams: StreamSettings = {}): Promise<NatsClient> {
    const logger = new Logger('NatsClient');
    logger.log(`connecting to NATS at ${withoutUrlCredentials(access.url)} as ${access.user}`);
    const connection = await connect(natsConnectionOptions(access, name));
    const client = new NatsClient(connection, connection.jetstream(), inboxPrefix(access.user), streams.replicas ?? 1, (streams.retentionSeconds ?? 0) * 1000, streams.managed ?? []);
    client.connected = true;
    logger.log(`connected to NATS at ${connection.getServer()}`);
    if (!connection.info?.auth_required) {
      logger.warn(
        'this NATS server admits connections without credentials: anyone who reaches it can read passwords, forge ' +
          'events and answer RPCs. Run it with keymint\'s users and permissions (docs/operations.md, "Your own NATS").',
      );
    }
    client.watchStatus();
    return client;
  }

  get isConnected(): boolean {
    return this.connected && !this.connection.isClosed();
  }

  async manager(): Promise<JetStreamManager> {
    this.jetStreamManager ??= await this.connection.jetstreamManager();
    return this.jetStreamManager;
  }

  /** Creates the streams this service manages, or brings their settings up to date; safe to call on every start. */
  async ensureStreams(): Promise<void> {
    const manager = await this.manager();
    for (const stream of this.managedStreams) {
      const settings = {
        name: stream.name,
        subjects: stream.subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        num_replicas: this.streamReplicas,
        // 0 is JetStream's "no limit". A message older than this is gone, whether or not a consumer has read it.
        max_age: stream.expires ? nanos(this.retentionMs) : 0,
      };
      try {
        const existing = await manager.streams.info(stream.name);
        const current = existing.config;
        const same =
          current.duplicate_window === settings.duplicate_window &&
          current.num_replicas === settings.num_replicas &&
          current.max_age === settings.max_age &&
          JSON.stringify([...current.subjects].sort()) === JSON.stringify([...settings.subjects].sort());
        if (!same) {
          if (current.max_age !== settings.max_age) this.logRetentionChange(stream.name, current.max_age, settings.max_age);
          await manager.streams.update(stream.name, {
            ...current,
            subjects: settings.subjects,
            duplicate_window: settings.duplicate_window,
            num_replicas: settings.num_replicas,
            max_age: settings.max_age,
          });
        }
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await manager.streams.add(settings);
        this.logger.log(`created stream ${stream.name} (${stream.subjects.join(', ')})`);
      }
    }
  }

  /** Said loudly when shorter: JetStream drops the older messages at once, read or not. */
  private logRetentionChange(stream: string, fromNanos: number, toNanos: number): void {
    const describe = (nanoseconds: number) => (nanoseconds === 0 ? 'forever' : `${nanoseconds / 1e9} s`);
    const line = `stream ${stream}: messages kept ${describe(toNanos)} instead of ${describe(fromNanos)}`;
    if (toNanos !== 0 && (fromNanos === 0 || toNanos < fromNanos)) this.logger.warn(`${line}; older messages are dropped now`);
    else this.logger.log(line);
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    try {
      await this.connection.drain();
    } catch {
      await this.connection.close();
    }
  }

  private watchStatus(): void {
    void (async () => {
      for await (const status of this.connection.status()) {
        switch (status.type) {
          case 'disconnect':
            this.connected = false;
            this.logger.warn(`disconnected from NATS ${status.data}`);
            break;
          case 'reconnect':
            this.connected = true;
            this.logger.log(`reconnected to NATS ${status.data}`);
            break;
          case 'reconnecting':
            this.connected = false;
            break;
          case 'error':
            this.logger.warn(`NATS error: ${String(status.data)}`);
            break;
          default:
            break;
        }
      }
    })();
  }
}

export function isNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not found/i.test(message);
}
