import { ConnectionOptions } from 'nats';

/**
 * How every keymint connection to NATS behaves: it waits for a server that is
 * not up yet and reconnects forever. Shared by the service's connection and
 * the outbox relay's publishing thread, which opens its own.
 */
export function natsConnectionOptions(url: string, name: string): ConnectionOptions {
  return {
    servers: url.split(','),
    name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5000,
    maxPingOut: 2,
    // RPCs and JetStream API calls are requests; capturing a stack trace for each cost ~7% of the token path
    // when the relay still published through requests.
    noAsyncTraces: true,
  };
}
