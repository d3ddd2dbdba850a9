import { ArgumentsHost } from '@nestjs/common';
import { firstValueFrom, Observable } from 'rxjs';
import { rpcFailure } from '@keymint/messaging';
import { createErrorFilter } from './errors';

function rpcHost(): ArgumentsHost {
  return { getType: () => 'rpc' } as unknown as ArgumentsHost;
}

async function rpcReply(exception: unknown): Promise<unknown> {
  const result = createErrorFilter('oauth2').catch(exception, rpcHost()) as Observable<never>;
  return firstValueFrom(result).catch((error: unknown) => error);
}

describe('error filter on RPC handlers', () => {
  it('sends the rpcFailure body back instead of rethrowing (the caller would time out)', async () => {
    await expect(rpcReply(rpcFailure('invalid_client', 'bad secret'))).resolves.toEqual({ code: 'invalid_client', message: 'bad secret' });
  });

  it('turns anything else into a generic internal error', async () => {
    await expect(rpcReply(new TypeError('secret internals'))).resolves.toEqual({
      code: 'internal',
      message: 'The service could not handle the request.',
    });
  });
});
