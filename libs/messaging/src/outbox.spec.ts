import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '@keymint/persistence';
import { SAMPLE_PAYLOADS } from '../../contracts/test/event-samples';
import { messagingStore } from '../test/messaging-test-kit';
import { encodeEvent } from './event-codec';
import { OutboxEntry } from './messaging.entities';
import { appendToOutbox, publishInTransaction } from './outbox';

describe('the outbox', () => {
  let dir: string;
  let database: Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-outbox-'));
    database = await messagingStore('token', dir);
  });

  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = () => database.manager.find(OutboxEntry, { order: { id: 'ASC' } });
  const issued = (tokenId: string) => encodeEvent('tokens.issued.v1', { ...SAMPLE_PAYLOADS['tokens.issued.v1'], tokenId });

  it("publishInTransaction writes the encoded event in the caller's transaction, and nothing when the payload is refused", async () => {
    const row = await database.transaction((manager) => publishInTransaction(manager, 'registry.user.created.v1', { username: 'alice', roles: [] }, undefined));
    expect(await stored()).toEqual([{ id: expect.any(Number), ...row }]);
    expect(JSON.parse(row.body)).toEqual({ username: 'alice', roles: [], eventId: row.eventId, occurredAt: expect.any(String) });

    const failed = database.transaction(async (manager) => {
      await publishInTransaction(manager, 'registry.user.updated.v1', { username: 'bob', roles: [] }, undefined);
      await publishInTransaction(manager, 'registry.user.deleted.v1', { username: '', roles: [] }, undefined);
    });
    await expect(failed).rejects.toThrow('refusing to publish a registry.user.deleted.v1 whose username must be a non-empty string of at most 255 characters');
    expect(await stored()).toHaveLength(1);
  });

  it('appendToOutbox inserts encoded events in order, packed EVENTS_PER_MESSAGE to a row', async () => {
    const rows = ['a', 'b', 'c', 'd', 'e'].map(issued);
    await database.transaction((manager) => appendToOutbox(manager, rows.slice(0, 2)));
    await database.transaction((manager) => appendToOutbox(manager, rows.slice(2), 2));
    const written = await stored();
    expect(written.map((row) => row.eventId).slice(0, 2)).toEqual([rows[0].eventId, rows[1].eventId]);
    expect(written).toHaveLength(4);
    expect(JSON.parse(written[2].body)).toEqual([JSON.parse(rows[2].body), JSON.parse(rows[3].body)]);
    expect(written[3]).toEqual({ id: expect.any(Number), ...rows[4] });
    await database.transaction((manager) => appendToOutbox(manager, []));
    expect(await stored()).toHaveLength(4);
  });
});
