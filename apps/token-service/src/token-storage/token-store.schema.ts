import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { Initial1700000000000 } from '../migrations/1700000000000-initial';
import { ActiveReuseIndex1700000000001 } from '../migrations/1700000000001-active-reuse-index';
import { TokenIdLookup1700000000002 } from '../migrations/1700000000002-token-id-lookup';
import { LiveTokenIndexes1700000000003 } from '../migrations/1700000000003-live-token-indexes';
import { SignInFailures1700000000004 } from '../migrations/1700000000004-sign-in-failures';
import { TokensFollowTheUser1700000000005 } from '../migrations/1700000000005-tokens-follow-the-user';
import { ClientAssertionJtis1700000000006 } from '../migrations/1700000000006-client-assertion-jtis';
import { TokenBinding1700000000007 } from '../migrations/1700000000007-token-binding';
import { OutboxHeaders1700000000008 } from '../migrations/1700000000008-outbox-headers';
import { OutboxLz41700000000009 } from '../migrations/1700000000009-outbox-lz4';
import { ReuseSlot } from './reuse-slot.entity';
import { LegacyTokenHash, TokenRecord } from './token.entity';

/** The token service's tables and their migrations: the service, its tests and the benchmark's preload open the store with these. */
export const TOKEN_STORE_ENTITIES = [...MESSAGING_ENTITIES, TokenRecord, ReuseSlot, LegacyTokenHash];
export const TOKEN_STORE_MIGRATIONS = [
  Initial1700000000000,
  ActiveReuseIndex1700000000001,
  TokenIdLookup1700000000002,
  LiveTokenIndexes1700000000003,
  SignInFailures1700000000004,
  TokensFollowTheUser1700000000005,
  ClientAssertionJtis1700000000006,
  TokenBinding1700000000007,
  OutboxHeaders1700000000008,
  OutboxLz41700000000009,
];
