import { connect, NatsConnection } from 'nats';
import { BUS_ROLES, BUS_USERS, BusUser, callersOf, EventSubject, RpcSubject } from '@keymint/contracts';
import { NatsAccess, NatsClient, natsConnectionOptions } from '@keymint/messaging';

/** What a test needs of a cluster (or a bare nats-server with keymint's users) to join its bus. */
export interface Bus {
  natsAccess(user: BusUser): NatsAccess;
}

/**
 * A test playing a service on the authenticated bus: connected as that
 * service's user (so it has exactly the service's permissions), with the
 * streams the service manages created, as the service itself would.
 */
export async function connectAs(bus: Bus, user: BusUser, name = `test-as-${user}`): Promise<NatsClient> {
  const client = await NatsClient.connect(bus.natsAccess(user), name, { managed: BUS_ROLES[user].managesStreams });
  await client.ensureStreams();
  return client;
}

/** A plain nats.js connection as a bus user (its inbox prefix, its NKEY). */
export function plainConnectionAs(bus: Bus, user: BusUser, name = `test-as-${user}`): Promise<NatsConnection> {
  return connect({ ...natsConnectionOptions(bus.natsAccess(user), name), waitOnFirstConnect: false, maxReconnectAttempts: 0 });
}

/** The service allowed to publish an event subject (its owner). */
export function publisherOf(subject: EventSubject): BusUser {
  return BUS_USERS.find((user) => BUS_ROLES[user].publishes.includes(subject))!;
}

/** A service that calls an RPC subject. */
export function callerOf(subject: RpcSubject): BusUser {
  return callersOf(subject)[0];
}

/** The service that answers an RPC subject. */
export function serverOf(subject: RpcSubject): BusUser {
  return BUS_USERS.find((user) => BUS_ROLES[user].serves.includes(subject))!;
}
