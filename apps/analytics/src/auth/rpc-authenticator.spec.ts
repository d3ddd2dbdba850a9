import { HttpException } from '@nestjs/common';
import { RpcError } from '@keymint/messaging';
import { AuthRpc, BASIC_CACHE_TTL_MS, RpcAuthenticator } from './rpc-authenticator';

function fakeRpc(answer: (subject: string, payload: Record<string, string>) => unknown) {
  const calls: Array<{ subject: string; payload: Record<string, string> }> = [];
  const rpc = {
    request: async (subject: string, payload: Record<string, string>) => {
      calls.push({ subject, payload });
      return answer(subject, payload);
    },
  } as unknown as AuthRpc;
  return { rpc, calls };
}

describe('RpcAuthenticator', () => {
  it('checks Basic credentials with the registry and caches successes for 30 s', async () => {
    let now = 1_000;
    const { rpc, calls } = fakeRpc((_subject, payload) =>
      payload.password === 'right' ? { authenticated: true, username: payload.username, roles: ['admin'] } : { authenticated: false },
    );
    const authenticator = new RpcAuthenticator(rpc, () => now);
    const principal = { username: 'admin', roles: ['admin'], scopes: [], via: 'basic' };
    expect(await authenticator.basic('admin', 'right', '192.0.2.1')).toEqual(principal);
    expect(await authenticator.basic('admin', 'right', '192.0.2.1')).toEqual(principal);
    expect(calls).toEqual([{ subject: 'registry.rpc.user.authenticate.v1', payload: { username: 'admin', password: 'right', clientAddress: '192.0.2.1' } }]);
    expect(await authenticator.basic('admin', 'wrong', '192.0.2.1')).toBeNull();
    expect(await authenticator.basic('admin', 'wrong', '192.0.2.1')).toBeNull();
    expect(calls).toHaveLength(3);
    now += BASIC_CACHE_TTL_MS;
    await authenticator.basic('admin', 'right', '192.0.2.1');
    expect(calls).toHaveLength(4);
  });

  it('turns an active token into its scopes and an inactive one into null', async () => {
    const { rpc } = fakeRpc((_subject, payload) =>
      payload.token === 'good' ? { active: true, scope: 'apim:admin default', sub: 'ck', username: 'ann' } : { active: false },
    );
    const authenticator = new RpcAuthenticator(rpc);
    expect(await authenticator.bearer('good')).toEqual({ username: 'ann', roles: [], scopes: ['apim:admin', 'default'], via: 'bearer' });
    expect(await authenticator.bearer('bad')).toBeNull();
  });

  it('answers 503 when the peer cannot be reached', async () => {
    const { rpc } = fakeRpc(() => {
      throw new RpcError('timeout', 'registry.rpc.user.authenticate.v1 did not answer in time');
    });
    const failure = await new RpcAuthenticator(rpc).basic('admin', 'x', '192.0.2.1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpException);
    expect((failure as HttpException).getStatus()).toBe(503);
  });
});
