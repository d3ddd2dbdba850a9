import { BUS_ROLES, BUS_USERS, natsPermissions } from './bus-access';
import { EVENT_SUBJECTS } from './events';
import { RPC_SUBJECTS } from './rpc';
import { STREAMS } from './streams';

describe('who may do what on the bus', () => {
  it('gives every event subject exactly one publisher, and every stream exactly one manager', () => {
    for (const subject of EVENT_SUBJECTS) expect({ subject, publishers: BUS_USERS.filter((user) => BUS_ROLES[user].publishes.includes(subject)).length }).toEqual({ subject, publishers: 1 });
    for (const stream of STREAMS) expect(BUS_USERS.filter((user) => BUS_ROLES[user].managesStreams.includes(stream))).toHaveLength(1);
  });

  it('lets exactly one user answer each RPC, and only users that answer RPCs reply to anything', () => {
    for (const subject of Object.values(RPC_SUBJECTS)) {
      expect(BUS_USERS.filter((user) => natsPermissions(user).subscribe.allow.includes(subject))).toHaveLength(1);
    }
    expect(BUS_USERS.filter((user) => natsPermissions(user).allow_responses)).toEqual(['token-service', 'application-registry']);
  });

  it('allows no catch-all: no ">" or "_INBOX.>" or stream deletion, and replies only under the user\'s own inbox', () => {
    for (const user of BUS_USERS) {
      const { publish, subscribe } = natsPermissions(user);
      for (const subject of [...publish.allow, ...subscribe.allow]) {
        expect(subject).not.toMatch(/^(>|\*\.>|_INBOX\.>|\$JS\.API\.>|\$JS\.>)$/);
        expect(subject).not.toMatch(/\.(DELETE|PURGE)\.(TOKENS|REGISTRY)$/);
      }
      expect(subscribe.allow.filter((subject) => subject.startsWith('_INBOX'))).toEqual([`_INBOX.${user}.>`]);
      expect(publish.allow.some((subject) => subject.startsWith('_INBOX'))).toBe(false);
    }
  });

  it('keeps the reader read-only: no event, no RPC, only its own consumer', () => {
    const { publish, subscribe } = natsPermissions('reader');
    expect(publish.allow.filter((subject) => !subject.startsWith('$JS.'))).toEqual([]);
    expect(publish.allow.filter((subject) => /CONSUMER|ACK/.test(subject)).every((subject) => subject.includes('.reader'))).toBe(true);
    expect(subscribe.allow).toEqual(['_INBOX.reader.>']);
  });
});
