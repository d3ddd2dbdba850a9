import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TokenServiceConfig } from '@keymint/config';
import { OutboxEntry } from '@keymint/messaging';
import { Database, openDataSource } from '@keymint/persistence';
import { tokenRecord } from '../../test/token-records';
import { issuedEvent } from './token-events';
import { TokenRecord } from './token.entity';
import { TOKEN_STORE_ENTITIES, TOKEN_STORE_MIGRATIONS } from './token-store.schema';
import { TokenWrite, TokenWriter } from './token-writer';

// TOKEN_RENEW_PER_REQUEST: a group commit writes the tokens of many requests, and revokes the tokens each of them
// supersedes. Each revocation's event names the request whose token superseded the revoked one, whichever request's
// write happened to start the group commit.
describe('TokenWriter: the events of a group commit', () => {
  let dir: string;
  let dataSource: DataSource;
  let database: Database;
  let writer: TokenWriter;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keymint-token-writer-'));
    dataSource = await openDataSource({ service: 'token', dataDir: dir, entities: TOKEN_STORE_ENTITIES, migrations: TOKEN_STORE_MIGRATIONS });
    database = new Database(dataSource);
    writer = new TokenWriter(database, { EVENTS_PER_MESSAGE: 1 } as TokenServiceConfig);
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A renewal of reuse key `reuseKey` by request `requestId` (no request: undefined): a new token that supersedes the key's others. */
  function renewal(id: string, reuseKey: string, requestId: string | undefined): TokenWrite {
    const origin = requestId === undefined ? undefined : { requestId };
    const access = tokenRecord({ id, reuseKey });
    return { rows: [access], events: [issuedEvent(access, false, 'client_secret_basic', origin)], supersedes: reuseKey, origin };
  }

  it('gives each event the request it was written for: a revocation, the request whose token superseded the revoked one', async () => {
    await dataSource.getRepository(TokenRecord).insert([tokenRecord({ id: 'stored-1', reuseKey: 'key-a default' }), tokenRecord({ id: 'stored-2', reuseKey: 'key-b default' })]);
    // Submitted in one turn of the event loop: one group commit.
    await Promise.all([
      writer.submit(renewal('t1', 'key-a default', 'req-1')),
      writer.submit(renewal('t2', 'key-b default', 'req-2')),
      writer.submit(renewal('t3', 'key-a default', 'req-3')),
      writer.submit(renewal('t4', 'key-a default', undefined)),
    ]);
    const rows = await dataSource.getRepository(OutboxEntry).find();
    const events = rows.map((row) => {
      const body = JSON.parse(row.body!) as { tokenId: string; reason?: string };
      const requestId = row.headers ? (JSON.parse(row.headers) as Record<string, string[]>)['X-Request-Id']?.[0] : undefined;
      return `${body.reason ? `revoked ${body.tokenId}` : `issued ${body.tokenId}`} for ${requestId ?? 'no request'}`;
    });
    expect(events.sort()).toEqual(
      [
        'issued t1 for req-1',
        'issued t2 for req-2',
        'issued t3 for req-3',
        'issued t4 for no request',
        // The stored tokens, by the batch's first renewal of their key.
        'revoked stored-1 for req-1',
        'revoked stored-2 for req-2',
        // The batch's own, each by the next renewal of its key.
        'revoked t1 for req-3',
        'revoked t3 for no request',
      ].sort(),
    );
    const live = await dataSource.getRepository(TokenRecord).find({ where: { revokedAt: undefined } });
    expect(live.filter((row) => row.revokedAt === null).map((row) => row.id).sort()).toEqual(['t2', 't4']);
  });
});
