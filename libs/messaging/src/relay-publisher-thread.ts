import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { WorkerRequestError, WorkerThread } from '@keymint/threads';
import { JetStreamPublisher, StreamMessage } from './jetstream-publisher';
import type { NatsAccess } from './nats-connection-options';

/** What the thread needs to open its own connection. */
export interface PublishingThreadSettings {
  /** The service's own NATS access: the thread connects as the same bus user. */
  access: NatsAccess;
  /** The name the NATS server shows for the thread's connection. */
  connectionName: string;
}

/** One batch on its way to the thread: arrays of strings, which cost less to copy across than objects. */
export interface PublishBatch {
  id: number;
  subjects: string[];
  bodies: string[];
  msgIds: string[];
  headers: Array<string | null>;
  timeoutMs: number;
}

export interface PublishAnswer {
  id: number;
  error?: string;
}

/** An event whose body is JSON text (as the outbox stores it): strings cross to the thread cheaply. */
export type TextStreamMessage = StreamMessage & { data: string };

/** The compiled worker; absent when the code runs from its TypeScript sources (under Jest). */
export const RELAY_WORKER_FILE = join(__dirname, 'relay-publisher.worker.js');

/**
 * The outbox relay's publishing, on a worker thread with its own NATS
 * connection: the event loop hands over each batch in one message and gets
 * one answer back, and no longer encodes the publishes, writes them to the
 * socket or parses the acks (~13% of the token service's event loop per
 * renewed token, measured; docs/performance.md). Same contract as
 * `JetStreamPublisher.publishAll`. Should the thread die, the batches it had
 * not answered fail (the relay publishes them again, and JetStream drops what
 * it already stored) and publishing continues on the event loop.
 */
export class RelayPublisherThread {
  private readonly logger = new Logger('RelayPublisherThread');
  private readonly thread: WorkerThread<PublishAnswer>;

  constructor(
    settings: PublishingThreadSettings,
    private readonly onEventLoop: Pick<JetStreamPublisher, 'publishAll'>,
    workerFile = RELAY_WORKER_FILE,
  ) {
    this.thread = new WorkerThread<PublishAnswer>({
      script: workerFile,
      // A young generation of 12 MB instead of V8's default: the token service's RSS after a renew run was 193 MiB
      // against 238-243, for ~2 µs more of the thread's CPU per token (more, shorter scavenges of what is mostly garbage).
      worker: { workerData: settings, resourceLimits: { maxYoungGenerationSizeMb: 12 } },
      onFailure: (reason) => this.logger.warn(`publishing thread stopped (${reason}); publishing on the event loop from now on`),
    });
    // Started now, so that its connection is up before the first batch.
    this.thread.start();
  }

  /** Whether the compiled worker is there to start (not when running from TypeScript sources). */
  static canStart(workerFile = RELAY_WORKER_FILE): boolean {
    return existsSync(workerFile);
  }

  publishAll(messages: readonly TextStreamMessage[], timeoutMs: number): Promise<void> {
    if (this.thread.ended) return this.onEventLoop.publishAll(messages, timeoutMs);
    if (messages.length === 0) return Promise.resolve();
    const batch = (id: number): PublishBatch => ({
      id,
      timeoutMs,
      subjects: messages.map((message) => message.subject),
      bodies: messages.map((message) => message.data),
      msgIds: messages.map((message) => message.msgId),
      headers: messages.map((message) => message.headers ?? null),
    });
    // The thread gives up on missing acks after timeoutMs; the second more also covers a thread that does not answer
    // at all (still connecting, say). A late answer is ignored: the relay publishes the batch again.
    return this.thread.request(batch, timeoutMs + 1000).then(
      (answer) => {
        if (answer.error !== undefined) throw new Error(answer.error);
      },
      (error: unknown) => {
        if (!(error instanceof WorkerRequestError)) throw error;
        throw new Error(
          error.kind === 'timeout'
            ? `the publishing thread did not answer within ${timeoutMs} ms`
            : `the publishing thread stopped (${error.reason})`,
        );
      },
    );
  }

  /** Ends the thread; later batches are published on the event loop. */
  async stop(): Promise<void> {
    await this.thread.stop();
  }
}
