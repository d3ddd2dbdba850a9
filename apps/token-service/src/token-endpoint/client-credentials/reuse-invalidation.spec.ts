import { TokenServiceConfig } from '@keymint/config';
import { NatsClient } from '@keymint/messaging';
import { sampleEvent } from '../../../../../libs/contracts/test/event-samples';
import { ReusableTokens } from './reusable-tokens';
import { ReuseInvalidation } from './reuse-invalidation';

/** The reuse index's listener, fed tokens.revoked.v1 messages as the bus would hand them over. */
function listening(): { deliver: (body: unknown) => void; forgotten: string[] } {
  const forgotten: string[] = [];
  let callback: (error: unknown, message: { subject: string; data: Uint8Array }) => void = () => undefined;
  const connection = {
    subscribe: (_subject: string, options: { callback: typeof callback }) => ((callback = options.callback), { unsubscribe: () => undefined }),
    status: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => undefined) }) }),
  };
  const reusable = {
    forgetTokens: (ids: string[]) => forgotten.push(...ids.map((id) => `token ${id}`)),
    forgetConsumerKey: (key: string) => forgotten.push(`key ${key}`),
    forgetAll: () => forgotten.push('all'),
  } as unknown as ReusableTokens;
  const invalidation = new ReuseInvalidation({ TOKEN_RENEW_PER_REQUEST: false } as TokenServiceConfig, { connection } as unknown as NatsClient, reusable);
  invalidation.onApplicationBootstrap();
  const deliver = (body: unknown) =>
    callback(null, { subject: 'tokens.revoked.v1', data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
  return { deliver, forgotten };
}

describe('ReuseInvalidation', () => {
  it('forgets the token or the key a revocation names, one event or a pack', () => {
    const { deliver, forgotten } = listening();
    const byToken = sampleEvent('tokens.revoked.v1');
    const byKey = sampleEvent('tokens.revoked.v1', { tokenId: null, consumerKey: 'key-b' });
    deliver(byToken);
    deliver([byKey]);
    expect(forgotten).toEqual([`token ${byToken.tokenId}`, 'key key-b']);
  });

  it('forgets every reusable token when it cannot read a revocation: the store decides again', () => {
    const { deliver, forgotten } = listening();
    deliver('not json');
    deliver({ tokenId: 'x', reason: 'revoked_by_client' });
    expect(forgotten).toEqual(['all', 'all']);
  });
});
