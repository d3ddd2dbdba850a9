import { ClientNats } from '@nestjs/microservices';
import { defer } from 'rxjs';
import { ClientRecord, EventSubject } from '@keymint/contracts';
import { RpcClient, RpcError, NatsClient } from '@keymint/messaging';
import { sampleEvent } from '../../../../libs/contracts/test/event-samples';
import { ClientCache } from './client-cache';

const record: ClientRecord = {
  consumerKey: 'key',
  secrets: [{ secretId: 'secret-1', hash: 'a'.repeat(64), expiresAt: null }],
  keyMappingId: 'map',
  keyType: 'PRODUCTION',
  keyState: 'ACTIVE',
  grantTypes: ['client_credentials'],
  scopes: [{ name: 'read', bindings: [] }],
  validityTime: 3600,
  applicationId: 'app',
  applicationName: 'App',
  owner: 'alice',
  tokenType: 'JWT',
  tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
  jwks: null,
  resources: [],
  requireDpop: false,
};

/** A cache asking a registry that answers `answer()`, through a real RpcClient (which checks the answer against its schema). */
function cacheWith(answer: () => Promise<unknown>): { cache: ClientCache; calls: () => number } {
  let calls = 0;
  const transport = { send: () => defer(() => ((calls += 1), answer())) } as unknown as ClientNats;
  const rpc = new RpcClient(transport, 1000);
  const cache = new ClientCache({ CLIENT_CACHE_TTL: 300 } as never, rpc, {} as NatsClient);
  return { cache, calls: () => calls };
}

describe('ClientCache', () => {
  it('asks the registry once per key, remembers unknown keys too', async () => {
    const { cache, calls } = cacheWith(async () => record);
    await expect(cache.get('key')).resolves.toEqual(record);
    await expect(Promise.all([cache.get('key'), cache.get('key')])).resolves.toEqual([record, record]);
    expect(calls()).toBe(1);
    const unknown = cacheWith(async () => null);
    await unknown.cache.get('nobody');
    await unknown.cache.get('nobody');
    expect(unknown.calls()).toBe(1);
  });

  it('serves the stale record when the registry is down, and fails without one', async () => {
    let down = false;
    const { cache } = cacheWith(async () => {
      if (down) throw new RpcError('unavailable', 'down');
      return record;
    });
    await cache.get('key');
    cache.invalidate('key');
    down = true;
    await expect(cache.get('key')).rejects.toBeInstanceOf(RpcError);
    down = false;
    await cache.get('key');
    // Expire it without dropping it: the stale copy is what keeps issuing going.
    (cache as unknown as { entries: Map<string, { expiresAt: number }> }).entries.get('key')!.expiresAt = 0;
    down = true;
    await expect(cache.get('key')).resolves.toEqual(record);
  });

  it('keeps serving a changed client while the registry is away, but never one whose secret was regenerated', async () => {
    let down = false;
    const { cache, calls } = cacheWith(async () => {
      if (down) throw new RpcError('unavailable', 'down');
      return record;
    });
    const event = (subject: string) =>
      (cache as unknown as { onRegistryEvent(subject: string, data: Uint8Array): void }).onRegistryEvent(
        subject,
        Buffer.from(JSON.stringify(sampleEvent(subject as EventSubject, { consumerKey: 'key', applicationId: 'app' }))),
      );
    await cache.get('key');
    event('registry.keys.updated.v1');
    await cache.get('key');
    expect(calls()).toBe(2);
    down = true;
    event('registry.application.updated.v1');
    await expect(cache.get('key')).resolves.toEqual(record);
    event('registry.keys.secret-regenerated.v1');
    await expect(cache.get('key')).rejects.toBeInstanceOf(RpcError);
  });

  it('never serves a key again after one of its secrets is revoked, even while the registry is away', async () => {
    let down = false;
    const { cache } = cacheWith(async () => {
      if (down) throw new RpcError('unavailable', 'down');
      return record;
    });
    await cache.get('key');
    down = true;
    (cache as unknown as { onRegistryEvent(subject: string, data: Uint8Array): void }).onRegistryEvent(
      'registry.keys.secret-revoked.v1',
      Buffer.from(JSON.stringify(sampleEvent('registry.keys.secret-revoked.v1', { consumerKey: 'key' }))),
    );
    await expect(cache.get('key')).rejects.toBeInstanceOf(RpcError);
  });

  // Which records are malformed is the response schema's business (libs/contracts/src/rpc.spec.ts).
  it('refuses malformed records from the registry', async () => {
    const { cache } = cacheWith(async () => ({ ...record, grantTypes: undefined }));
    await expect(cache.get('key')).resolves.toBeNull();
    for (const malformed of [{ ...record, scopes: 'read' }, { ...record, secrets: [{ secretId: 'secret-1', hash: 'short', expiresAt: null }] }, { ...record, consumerKey: 'another-key' }]) {
      await expect(cacheWith(async () => malformed).cache.get('key')).resolves.toBeNull();
    }
    await expect(cacheWith(async () => record).cache.get('key')).resolves.toEqual(record);
  });

  it('forgets every client on a registry event it cannot read, as the change it may have been would', async () => {
    let down = false;
    const { cache, calls } = cacheWith(async () => {
      if (down) throw new RpcError('unavailable', 'down');
      return record;
    });
    const onRegistryEvent = (cache as unknown as { onRegistryEvent(subject: string, data: Uint8Array): void }).onRegistryEvent.bind(cache);
    await cache.get('key');
    // Unreadable on a subject that only expires clients: asked again, and the stale record still serves while the registry is away.
    onRegistryEvent('registry.keys.updated.v1', Buffer.from('not json'));
    down = true;
    await expect(cache.get('key')).resolves.toEqual(record);
    expect(calls()).toBe(2);
    // Unreadable on a subject that ends clients (say a newer registry's secret-regenerated): never served again without the registry.
    onRegistryEvent('registry.keys.secret-regenerated.v1', Buffer.from(JSON.stringify({ consumerKey: 'key' })));
    await expect(cache.get('key')).rejects.toBeInstanceOf(RpcError);
    down = false;
    await cache.get('key');
    // A pack of events (EVENTS_PER_MESSAGE) is read like single ones.
    const before = calls();
    onRegistryEvent('registry.keys.revoked.v1', Buffer.from(JSON.stringify([sampleEvent('registry.keys.revoked.v1', { consumerKey: 'key' })])));
    await cache.get('key');
    expect(calls()).toBe(before + 1);
  });
});
