import { createInbox, ErrorCode, headers, Msg, MsgHdrs, NatsConnection, Payload } from 'nats';
import { appendOutboxHeaders } from './context-headers';
import { JETSTREAM_MAX_HEADER_BYTES } from './event-codec';

/** One event to store in JetStream: `msgId` becomes `Nats-Msg-Id`, so a republished event is dropped as a duplicate. */
export interface StreamMessage {
  subject: string;
  /** A string is sent as UTF-8. */
  data: Payload;
  msgId: string;
  /** Further headers as the outbox stores them (request ids, trace contexts: context-headers.ts). */
  headers?: string | null;
}

/**
 * Pipelined JetStream publishing for the outbox relay: the same wire protocol
 * as `JetStreamClient.publish` (a core publish with a reply subject, answered
 * by a PubAck), with one reply subscription for all acks and one timer per
 * batch. nats.js's publish is a request that arms a timer and builds an error
 * object for every message (~26 µs of the event loop per event measured here,
 * against ~8 µs this way), and the relay publishes every event the token
 * service writes.
 */
export class JetStreamPublisher {
  private readonly inbox: string;
  private readonly waiting = new Map<string, (error: Error | null) => void>();
  private sequence = 0;
  private listening = false;

  /** `inboxPrefix`: the connection's own (natsConnectionOptions), the only one its user may subscribe under. */
  constructor(
    private readonly connection: NatsConnection,
    inboxPrefix?: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
    this.subscribeToAcks();
  }

  /** Lives as long as the connection (nats.js resubscribes after a reconnect). */
  private subscribeToAcks(): void {
    this.listening = true;
    this.connection.subscribe(`${this.inbox}.*`, {
      callback: (error, message) => {
        if (!error) return this.settle(message);
        // nats.js closed the subscription (e.g. a permissions violation): fail the waiting batches with the
        // real cause, so the relay logs it and retries; the next batch subscribes again.
        this.listening = false;
        for (const onAck of [...this.waiting.values()]) onAck(new Error(`JetStream acknowledgements unavailable: ${error.message}`));
      },
    });
  }

  /**
   * Publishes in order; resolves once JetStream acknowledged every message
   * (stored, or recognised as a duplicate), rejects on the first refusal or
   * when acks are missing after `timeoutMs`.
   */
  publishAll(messages: readonly StreamMessage[], timeoutMs: number): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (!this.listening) this.subscribeToAcks();
    return new Promise<void>((resolve, reject) => {
      const replies: string[] = [];
      let unacknowledged = 0;
      let settled = false;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const reply of replies) this.waiting.delete(reply);
        if (error) reject(error);
        else resolve();
      };
      const onAck = (error: Error | null) => {
        if (error) return finish(error);
        unacknowledged -= 1;
        if (unacknowledged === 0) finish(null);
      };
      const timer = setTimeout(
        () => finish(new Error(`JetStream did not acknowledge ${unacknowledged} of ${replies.length} events within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const publish = (message: StreamMessage): void => {
        const reply = `${this.inbox}.${(this.sequence++).toString(36)}`;
        const messageHeaders = headers();
        messageHeaders.set('Nats-Msg-Id', message.msgId);
        appendOutboxHeaders(messageHeaders, message.headers);
        if (overJetStreamHeaderLimit(message, messageHeaders) || !this.sentWhole(message, messageHeaders, reply)) {
          for (const part of packParts(message, this.connection.info?.max_payload)) publish(part);
          return;
        }
        replies.push(reply);
        this.waiting.set(reply, onAck);
        unacknowledged += 1;
      };
      try {
        for (const message of messages) publish(message);
      } catch (error) {
        // Closed or draining connection: nothing more goes out; the relay retries the batch later.
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Publishes the message; false when it is over the server's max_payload (nats.js refuses it before sending any of it). */
  private sentWhole(message: StreamMessage, messageHeaders: MsgHdrs, reply: string): boolean {
    try {
      this.connection.publish(message.subject, message.data, { headers: messageHeaders, reply });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === ErrorCode.MaxPayloadExceeded) return false;
      throw error;
    }
  }

  private settle(message: Msg): void {
    const onAck = this.waiting.get(message.subject);
    // An ack after its batch timed out: that batch is published again and JetStream drops the duplicates.
    if (!onAck) return;
    this.waiting.delete(message.subject);
    onAck(acknowledgementError(message));
  }
}

/**
 * Whether a message's headers are over JetStream's limit (rows packed by a release that did not bound them).
 * Encoded only for long stored headers: stored as JSON, each value takes at least 3 characters there and at
 * most 16 more bytes on the wire (`\r\nX-Request-Id: `), so 4,096 characters make less than 26 KB.
 */
function overJetStreamHeaderLimit(message: StreamMessage, headers: MsgHdrs): boolean {
  return (message.headers?.length ?? 0) > 4096 && (headers as MsgHdrs & { encode(): Uint8Array }).encode().length > JETSTREAM_MAX_HEADER_BYTES;
}

/**
 * A pack (EVENTS_PER_MESSAGE) too large for the server's max_payload (or for JetStream's header limit), as two messages of half its events each,
 * which `publish` halves again if need be: a message carrying one event is that event as an outbox row of its own
 * would be (its body, `Nats-Msg-Id` = its eventId), a part of several has an id made from the pack's and its place
 * in it, so a part published again is dropped by JetStream as the whole pack would have been. Each event keeps
 * its own headers' values. Nothing is dropped: a single event over the limit fails the batch, naming it.
 */
export function packParts(message: StreamMessage, maxPayload: number | undefined): StreamMessage[] {
  const text = typeof message.data === 'string' ? message.data : Buffer.from(message.data).toString('utf8');
  const events = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : [];
  if (events.length < 2) {
    throw new Error(`the message ${message.msgId} on ${message.subject} is one event larger than the NATS server takes (max_payload ${maxPayload ?? 'unknown'} bytes, JetStream headers 64 KiB)`);
  }
  const stored = message.headers ? (JSON.parse(message.headers) as Record<string, string[]>) : undefined;
  const part = (start: number, end: number): StreamMessage => {
    const headers = stored && JSON.stringify(Object.fromEntries(Object.entries(stored).map(([name, values]) => [name, values.slice(start, end)])));
    if (end - start === 1) {
      const event = events[start] as { eventId?: unknown };
      return { subject: message.subject, data: JSON.stringify(event), msgId: String(event.eventId), headers };
    }
    return { subject: message.subject, data: JSON.stringify(events.slice(start, end)), msgId: `${message.msgId}.${start}-${end}`, headers };
  };
  const middle = Math.ceil(events.length / 2);
  return [part(0, middle), part(middle, events.length)];
}

/** null for a PubAck, else why JetStream did not store the message. */
function acknowledgementError(message: Msg): Error | null {
  if (message.headers?.hasError) {
    // e.g. 503: no stream listens on the subject (nobody responded).
    return new Error(`JetStream did not take the event: ${message.headers.code} ${message.headers.description}`.trim());
  }
  let ack: { stream?: unknown; error?: { description?: unknown } };
  try {
    ack = JSON.parse(Buffer.from(message.data).toString('utf8')) as typeof ack;
  } catch {
    return new Error('JetStream answered the publish with something that is not a PubAck');
  }
  if (ack.error) return new Error(`JetStream refused the event: ${String(ack.error.description ?? 'no description')}`);
  if (typeof ack.stream !== 'string') return new Error('JetStream answered the publish without naming a stream');
  return null;
}
