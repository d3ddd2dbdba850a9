/**
 * Who may do what on the bus: the one place that says which service publishes,
 * subscribes to and serves which subjects. Each service connects to NATS as its
 * own user, and that user's permissions are derived from its role here
 * (`natsPermissions`): the generated nats-server config, the config printed in
 * docs/operations.md and the services' own code (durable names, inboxes, which
 * streams they manage) all read this file. Anything not listed is refused by
 * the NATS server (docs/security.md).
 */
import { EVENT_SUBJECTS, EventSubject } from './events';
import { RPC_SUBJECTS, RpcSubject } from './rpc';
import { REGISTRY_STREAM, StreamDefinition, STREAMS, TOKENS_STREAM } from './streams';

/** The NATS users: one per service, and the read-only user for consumers of one's own. */
export const BUS_USERS = ['token-service', 'application-registry', 'analytics', 'reader'] as const;
export type BusUser = (typeof BUS_USERS)[number];

export interface DurableConsumerGrant {
  stream: StreamDefinition;
  /** The consumer's durable name: the user may create, read, pull from and acknowledge on this consumer only. */
  durable: string;
}

export interface BusRole {
  /** Event subjects it stores in JetStream (its outbox relay publishes them). */
  publishes: readonly EventSubject[];
  /** Streams it creates and keeps configured (replicas, retention); the others only read their info. */
  managesStreams: readonly StreamDefinition[];
  /** Durable JetStream consumers it reads the streams with. */
  consumes: readonly DurableConsumerGrant[];
  /** Plain (core NATS) subscriptions to event subjects: every replica gets every message. */
  listens: readonly string[];
  /** RPC subjects it answers (it alone may subscribe to them). */
  serves: readonly RpcSubject[];
  /** RPC subjects it sends requests to. */
  calls: readonly RpcSubject[];
  /** May delete its own consumers (the reader, whose consumer is its own business). */
  deletesOwnConsumers?: boolean;
  /** May also read any message of the streams it consumes by its sequence number (a read-only operation). */
  readsBySequence?: boolean;
}

const tokenEvents = EVENT_SUBJECTS.filter((subject) => subject.startsWith('tokens.'));
const registryEvents = EVENT_SUBJECTS.filter((subject) => subject.startsWith('registry.'));

export const BUS_ROLES: Readonly<Record<BusUser, BusRole>> = {
  'token-service': {
    publishes: tokenEvents,
    managesStreams: [TOKENS_STREAM],
    // A regenerated secret, a revoked key, a deleted application, a user's password change, role removal or deletion
    // revokes tokens (exactly once across replicas).
    consumes: [{ stream: REGISTRY_STREAM, durable: 'token-service-registry' }],
    // The client cache follows key and application changes; the reuse index forgets tokens other replicas revoked.
    listens: ['registry.keys.>', 'registry.application.>', 'tokens.revoked.>'],
    serves: [RPC_SUBJECTS.introspect, RPC_SUBJECTS.issueToken],
    // reportSecretUse: the consumer secrets' lastUsedAt, batched.
    calls: [RPC_SUBJECTS.getClient, RPC_SUBJECTS.authenticateUser, RPC_SUBJECTS.reportSecretUse],
  },
  'application-registry': {
    publishes: registryEvents,
    managesStreams: [REGISTRY_STREAM],
    consumes: [],
    listens: [],
    serves: [RPC_SUBJECTS.getClient, RPC_SUBJECTS.authenticateUser, RPC_SUBJECTS.reportSecretUse],
    // The devportal's generate-token, and Bearer tokens presented to the registry's APIs.
    calls: [RPC_SUBJECTS.issueToken, RPC_SUBJECTS.introspect],
  },
  analytics: {
    publishes: [],
    managesStreams: [],
    consumes: [
      { stream: TOKENS_STREAM, durable: 'analytics-tokens' },
      { stream: REGISTRY_STREAM, durable: 'analytics-registry' },
    ],
    listens: [],
    serves: [],
    // Admin sign-in to the statistics API: Basic credentials, or a Bearer token.
    calls: [RPC_SUBJECTS.authenticateUser, RPC_SUBJECTS.introspect],
  },
  // Read-only: a consumer of one's own reads both streams through its own durable consumer `reader`.
  reader: {
    publishes: [],
    managesStreams: [],
    consumes: [
      { stream: TOKENS_STREAM, durable: 'reader' },
      { stream: REGISTRY_STREAM, durable: 'reader' },
    ],
    listens: [],
    serves: [],
    calls: [],
    deletesOwnConsumers: true,
    readsBySequence: true,
  },
};

/** The durable name of a user's consumer on a stream (throws if its role has none: a programming error). */
export function durableName(user: BusUser, stream: StreamDefinition): string {
  const grant = BUS_ROLES[user].consumes.find((candidate) => candidate.stream.name === stream.name);
  if (!grant) throw new Error(`${user} has no consumer on ${stream.name}`);
  return grant.durable;
}

/** The users whose role calls an RPC subject. */
export function callersOf(subject: string): BusUser[] {
  return BUS_USERS.filter((user) => (BUS_ROLES[user].calls as readonly string[]).includes(subject));
}

/**
 * Where a user's replies arrive (RPC answers, JetStream API answers, pulled
 * messages, publish acknowledgements). Each user may subscribe only under its
 * own prefix, so nobody else can read the replies it gets (tokens, client
 * records). Clients must connect with this `inboxPrefix`.
 */
export function inboxPrefix(user: BusUser): string {
  return `_INBOX.${user}`;
}

/** What no keymint service ever publishes itself: removing streams, stored messages or consumers. */
const DESTRUCTIVE_JETSTREAM_API = ['$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>', '$JS.API.STREAM.MSG.DELETE.>', '$JS.API.CONSUMER.DELETE.>'];

/** A user's permissions in nats-server's terms (users[].permissions of its config). */
export interface NatsPermissions {
  /** `deny` wins over `allow` and over `allow_responses`. */
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
  /** Lets a user answer a request it received, once, within the time given: only whoever got the request can reply. */
  allow_responses?: { max: number; expires: string };
}

/**
 * The allow-lists of a user, derived from its role. JetStream is reached
 * through its API subjects: `$JS.API.INFO` (the client checks JetStream is
 * on), stream info/create/update of the streams it manages, stream info of
 * the streams it reads, and for each of its durable consumers only that
 * consumer's create, info, next-message and acknowledgement subjects.
 */
export function natsPermissions(user: BusUser): NatsPermissions {
  const role = BUS_ROLES[user];
  const publish = new Set<string>(['$JS.API.INFO']);
  const subscribe = new Set<string>([`${inboxPrefix(user)}.>`]);
  for (const subject of role.publishes) publish.add(subject);
  for (const stream of role.managesStreams) {
    for (const operation of ['INFO', 'CREATE', 'UPDATE']) publish.add(`$JS.API.STREAM.${operation}.${stream.name}`);
  }
  for (const { stream, durable } of role.consumes) {
    const consumer = `${stream.name}.${durable}`;
    publish.add(`$JS.API.STREAM.INFO.${stream.name}`);
    // Current servers name the consumer in the subject (optionally followed by its filter); older ones use DURABLE.CREATE.
    publish.add(`$JS.API.CONSUMER.CREATE.${consumer}`);
    publish.add(`$JS.API.CONSUMER.CREATE.${consumer}.>`);
    publish.add(`$JS.API.CONSUMER.DURABLE.CREATE.${consumer}`);
    publish.add(`$JS.API.CONSUMER.INFO.${consumer}`);
    publish.add(`$JS.API.CONSUMER.MSG.NEXT.${consumer}`);
    if (role.deletesOwnConsumers) publish.add(`$JS.API.CONSUMER.DELETE.${consumer}`);
    if (role.readsBySequence) {
      publish.add(`$JS.API.STREAM.MSG.GET.${stream.name}`);
      publish.add(`$JS.API.DIRECT.GET.${stream.name}`);
      publish.add(`$JS.API.DIRECT.GET.${stream.name}.>`);
    }
    // Acknowledgements: exactly $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>.
    // Not `.>` and not a wildcard in front: the server's ack subscription is `$JS.ACK.<stream>.<consumer>.*.*.*.*.*`, and
    // a longer pattern would match `$JS.ACK.<stream>.<another consumer>.<stream>.<consumer>.…`, another user's consumer.
    publish.add(`$JS.ACK.${consumer}.*.*.*.*.*`);
  }
  for (const subject of role.listens) subscribe.add(subject);
  for (const subject of role.serves) subscribe.add(subject);
  for (const subject of role.calls) publish.add(subject);
  if (role.serves.length === 0) return { publish: { allow: [...publish] }, subscribe: { allow: [...subscribe] } };
  // A requester picks the reply subject, and allow_responses lets the answer go there whatever it is. The RPC server
  // answers only into its callers' inboxes (CallerOnlyNatsServer); the server also refuses, as a second wall, what no
  // answer may ever reach: stream and consumer removal, and the events of the streams other services manage.
  const othersEvents = STREAMS.filter((stream) => !role.managesStreams.includes(stream)).flatMap((stream) => stream.subjects);
  return {
    publish: { allow: [...publish], deny: [...DESTRUCTIVE_JETSTREAM_API, ...othersEvents] },
    subscribe: { allow: [...subscribe] },
    allow_responses: { max: 1, expires: '1m' },
  };
}
