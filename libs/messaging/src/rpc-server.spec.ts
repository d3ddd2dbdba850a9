import { NatsContext } from '@nestjs/microservices';
import { headers as natsHeaders } from 'nats';
import { isObservable, lastValueFrom } from 'rxjs';
import { CallerOnlyNatsServer, RpcCall } from './rpc-server';

describe('CallerOnlyNatsServer', () => {
  const server = () => new CallerOnlyNatsServer({ servers: ['nats://127.0.0.1:1'] });

  it('refuses, when the service starts, a handler for a subject that has no request schema', () => {
    expect(() => server().addHandler('registry.rpc.client.find.v1', async () => null)).toThrow(
      'no request schema for registry.rpc.client.find.v1: add it to RPC_SCHEMAS (@keymint/contracts)',
    );
  });

  it('runs the handler only for requests its subject accepts', async () => {
    const calls: unknown[] = [];
    const rpc = server();
    rpc.addHandler('tokens.rpc.introspect.v1', async (data: unknown) => {
      calls.push(data);
      return { active: false };
    });
    const handler = rpc.getHandlerByPattern('tokens.rpc.introspect.v1')!;
    await expect(handler({ token: 'abc', addedLater: 1 })).resolves.toEqual({ active: false });
    const refused = await handler({ token: 7 });
    expect(isObservable(refused)).toBe(true);
    await expect(lastValueFrom(refused as never)).rejects.toEqual({ code: 'invalid_request', message: 'token must be a string' });
    expect(calls).toEqual([{ token: 'abc', addedLater: 1 }]);
  });

  it("gives the handler the caller's request: the X-Request-Id the call carries, else a new one", async () => {
    const seen: unknown[] = [];
    const rpc = server();
    rpc.addHandler('tokens.rpc.introspect.v1', async (_data: unknown, context: unknown) => {
      seen.push(context instanceof RpcCall ? context.origin.requestId : context);
      return { active: false };
    });
    const handler = rpc.getHandlerByPattern('tokens.rpc.introspect.v1')!;
    const headers = natsHeaders();
    headers.set('X-Request-Id', 'caller-7');
    await handler({ token: 'abc' }, new NatsContext(['tokens.rpc.introspect.v1', headers]));
    await handler({ token: 'abc' }, new NatsContext(['tokens.rpc.introspect.v1', undefined]));
    expect(seen).toEqual(['caller-7', expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });
});
