import { AckPolicy, DeliverPolicy } from 'nats';
import { durableName, TOKENS_STREAM } from '@keymint/contracts';
import { Bus, plainConnectionAs } from './bus';

export interface StreamedMessage {
  subject: string;
  /** The events the message carries: one, or a pack's several (EVENTS_PER_MESSAGE). */
  events: Array<{ eventId: string } & Record<string, unknown>>;
  packed: boolean;
}

/**
 * Every message in the TOKENS stream now, from the first, as a consumer of the
 * stream receives it: read with the read-only bus user and its own consumer
 * (removed after, so the next read starts from the first message again).
 */
export async function tokenStreamMessages(bus: Bus): Promise<StreamedMessage[]> {
  const connection = await plainConnectionAs(bus, 'reader');
  const manager = await connection.jetstreamManager();
  const durable = durableName('reader', TOKENS_STREAM);
  try {
    await manager.consumers.add('TOKENS', { durable_name: durable, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const consumer = await connection.jetstream().consumers.get('TOKENS', durable);
    const messages: StreamedMessage[] = [];
    let pending = (await consumer.info()).num_pending;
    const deadline = Date.now() + 60_000;
    while (pending > 0 && Date.now() < deadline) {
      for await (const message of await consumer.fetch({ max_messages: 1000, expires: 2000 })) {
        const body = JSON.parse(Buffer.from(message.data).toString('utf8')) as StreamedMessage['events'][number] | StreamedMessage['events'];
        messages.push({ subject: message.subject, events: [body].flat(), packed: Array.isArray(body) });
        pending = message.info.pending;
      }
    }
    return messages;
  } finally {
    await manager.consumers.delete('TOKENS', durable).catch(() => undefined);
    await connection.close();
  }
}
