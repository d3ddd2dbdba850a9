/**
 * The outbox relay's publishing thread (see RelayPublisherThread): its own
 * NATS connection and a JetStreamPublisher, fed one batch per message.
 * Loaded by file from dist/; it imports nothing from Nest.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from 'nats';
import { inboxPrefix } from '@keymint/contracts';
import { JetStreamPublisher } from './jetstream-publisher';
import { natsConnectionOptions } from './nats-connection-options';
import type { PublishAnswer, PublishBatch, PublishingThreadSettings } from './relay-publisher-thread';

const settings = workerData as PublishingThreadSettings;
const publisher = connect(natsConnectionOptions(settings.access, settings.connectionName)).then(
  (connection) => new JetStreamPublisher(connection, inboxPrefix(settings.access.user)),
);

parentPort!.on('message', (batch: PublishBatch) => {
  void publish(batch).then((answer) => parentPort!.postMessage(answer));
});

async function publish(batch: PublishBatch): Promise<PublishAnswer> {
  try {
    const messages = batch.subjects.map((subject, index) => ({ subject, data: batch.bodies[index], msgId: batch.msgIds[index], headers: batch.headers[index] }));
    await (await publisher).publishAll(messages, batch.timeoutMs);
    return { id: batch.id };
  } catch (error) {
    return { id: batch.id, error: error instanceof Error ? error.message : String(error) };
  }
}
