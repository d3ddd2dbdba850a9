import { CountedClientAuthMethod, GrantType, KeyType, TokenBinding } from '@keymint/contracts';
import { floorTo, Resolution, RESOLUTION_MS, RESOLUTIONS } from '../time-buckets/time-buckets';
import { ApplicationChange, Issuance } from './counted-events';

export interface RollupDelta {
  bucket: number;
  applicationId: string;
  keyType: KeyType;
  grantType: GrantType;
  clientAuthMethod: CountedClientAuthMethod;
  tokenBinding: TokenBinding;
  minted: number;
  served: number;
}

export interface UserDelta {
  applicationId: string;
  username: string;
  tokenCount: number;
  firstSeen: number;
  lastSeen: number;
}

export interface UserActivityDelta {
  bucket: number;
  applicationId: string;
  username: string;
  tokenCount: number;
}

/** What one batch of events adds to the store; each key appears once, so one upsert per row. */
export interface BatchDeltas {
  rollups: Record<Resolution, RollupDelta[]>;
  users: UserDelta[];
  /** Users per bucket and resolution: what registered-users counts over a range. */
  userActivity: Record<Resolution, UserActivityDelta[]>;
  /** Every application an issuance mentions (a placeholder row is created for unknown ones). */
  applicationsSeen: string[];
  /** The latest change per application in this batch. */
  applicationChanges: ApplicationChange[];
}

/**
 * Folds a batch of events into deltas: counts per bucket, users per
 * application and day. Pure, so the counting rules are unit-tested here.
 * A reused token is served, not minted; only user grants add users.
 */
export function aggregate(issuances: Issuance[], changes: ApplicationChange[] = []): BatchDeltas {
  const rollups: Record<Resolution, Map<string, RollupDelta>> = { minute: new Map(), hour: new Map(), day: new Map() };
  const users = new Map<string, UserDelta>();
  const userActivity: Record<Resolution, Map<string, UserActivityDelta>> = { minute: new Map(), hour: new Map(), day: new Map() };
  const applicationsSeen = new Set<string>();

  for (const issuance of issuances) {
    applicationsSeen.add(issuance.applicationId);
    const minted = issuance.reused ? 0 : 1;
    for (const resolution of RESOLUTIONS) {
      const bucket = floorTo(issuance.issuedAt, RESOLUTION_MS[resolution]);
      const key = [bucket, issuance.applicationId, issuance.keyType, issuance.grantType, issuance.clientAuthMethod, issuance.tokenBinding].join('\u0000');
      const row = rollups[resolution].get(key);
      if (row) {
        row.minted += minted;
        row.served += 1;
      } else {
        rollups[resolution].set(key, {
          bucket,
          applicationId: issuance.applicationId,
          keyType: issuance.keyType,
          grantType: issuance.grantType,
          clientAuthMethod: issuance.clientAuthMethod,
          tokenBinding: issuance.tokenBinding,
          minted,
          served: 1,
        });
      }
    }
    if (issuance.grantType === 'client_credentials' || issuance.username === undefined) continue;
    const userKey = `${issuance.applicationId}\u0000${issuance.username}`;
    const user = users.get(userKey);
    if (user) {
      user.tokenCount += 1;
      user.firstSeen = Math.min(user.firstSeen, issuance.issuedAt);
      user.lastSeen = Math.max(user.lastSeen, issuance.issuedAt);
    } else {
      users.set(userKey, {
        applicationId: issuance.applicationId,
        username: issuance.username,
        tokenCount: 1,
        firstSeen: issuance.issuedAt,
        lastSeen: issuance.issuedAt,
      });
    }
    for (const resolution of RESOLUTIONS) {
      const bucket = floorTo(issuance.issuedAt, RESOLUTION_MS[resolution]);
      const activityKey = `${bucket}\u0000${userKey}`;
      const activity = userActivity[resolution].get(activityKey);
      if (activity) activity.tokenCount += 1;
      else userActivity[resolution].set(activityKey, { bucket, applicationId: issuance.applicationId, username: issuance.username, tokenCount: 1 });
    }
  }

  const latest = new Map<string, ApplicationChange>();
  for (const change of changes) {
    const previous = latest.get(change.applicationId);
    if (!previous) {
      latest.set(change.applicationId, { ...change });
      continue;
    }
    if (change.occurredAt < previous.occurredAt) continue;
    // A delete without a name keeps the name from the earlier event of the same batch.
    latest.set(change.applicationId, {
      ...change,
      name: change.name ?? previous.name,
      owner: change.owner ?? previous.owner,
    });
  }

  return {
    rollups: {
      minute: [...rollups.minute.values()],
      hour: [...rollups.hour.values()],
      day: [...rollups.day.values()],
    },
    users: [...users.values()],
    userActivity: {
      minute: [...userActivity.minute.values()],
      hour: [...userActivity.hour.values()],
      day: [...userActivity.day.values()],
    },
    applicationsSeen: [...applicationsSeen],
    applicationChanges: [...latest.values()],
  };
}
