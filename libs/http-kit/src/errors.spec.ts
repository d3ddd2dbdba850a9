import { ArgumentsHost } from '@nestjs/common';
import { firstValueFrom, Observable } from 'rxjs';
import { rpcFailure } from '@keymint/messaging';
import { createErrorFilter } from './errors';

function rpcHost(): ArgumentsHost {
  return { getType: () => 'rpc', switchToRpc: () => ({ getContext: () => undefined }) } as unknown as ArgumentsHost;
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

  it('answers unavailable when the database cannot be reached (the caller answers 503)', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await expect(rpcReply(refused)).resolves.toEqual({ code: 'unavailable', message: 'The database cannot be reached right now.' });
  });
});

describe('error filter on HTTP requests', () => {
  function httpReply(exception: unknown): { status?: number; body?: unknown; headers: Record<string, string> } {
    const reply: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const fastifyReply = {
      headers: (headers: Record<string, string>) => Object.assign(reply.headers, headers),
      status: (status: number) => ((reply.status = status), { send: (body: unknown) => (reply.body = body) }),
    };
    const host = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => fastifyReply, getRequest: () => ({ headers: {} }) }) } as unknown as ArgumentsHost;
    createErrorFilter('oauth2').catch(exception, host);
    return reply;
  }

  it('answers 503 with Retry-After when the database is down or restarting, not 500', () => {
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(httpReply(shutdown)).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The database cannot be reached right now; try again shortly.' },
      headers: { 'Retry-After': '5' },
    });
  });

  it('answers 500 to any other unexpected error', () => {
    expect(httpReply(new TypeError('secret internals')).status).toBe(500);
  });
});
