import { MESSAGING_ENTITIES } from '@keymint/messaging';
import { Initial1700000000000 } from '../migrations/1700000000000-initial';
import { ActiveReuseIndex1700000000001 } from '../migrations/1700000000001-active-reuse-index';
import { ReuseSlot } from './reuse-slot.entity';
import { TokenRecord } from './token.entity';

/** The token service's tables and their migrations: the service, its tests and the benchmark's preload open the store with these. */
export const TOKEN_STORE_ENTITIES = [...MESSAGING_ENTITIES, TokenRecord, ReuseSlot];
export const TOKEN_STORE_MIGRATIONS = [Initial1700000000000, ActiveReuseIndex1700000000001];
