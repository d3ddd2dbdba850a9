import type { CommonConfig } from '@keymint/config';
import type { FastifyReply } from 'fastify';
import type { NatsClient } from '@keymint/messaging';
import type { Database } from '@keymint/persistence';
import { DATABASE_CHECK_TIMEOUT_MS, ObservabilityController, ServiceLifecycle } from './observability.controller';

/** A reply that records the status the handler sets. */
function recordingReply(): FastifyReply & { statusCode?: number } {
  const reply = {
    status(code: number) {
      reply.statusCode = code;
      return reply;
    },
  } as FastifyReply & { statusCode?: number };
  return reply;
}

describe('ObservabilityController readiness', () => {
  afterEach(() => jest.useRealTimers());

  it('says DOWN within its timeout when the database never answers (a partitioned PostgreSQL), instead of hanging the probe', async () => {
    jest.useFakeTimers();
    const database = { ping: () => new Promise<boolean>(() => undefined) } as unknown as Database;
    const lifecycle = new ServiceLifecycle();
    lifecycle.markStarted();
    const controller = new ObservabilityController(database, { isConnected: true } as NatsClient, lifecycle, {} as CommonConfig);
    const reply = recordingReply();
    const answer = controller.ready(reply);
    await jest.advanceTimersByTimeAsync(DATABASE_CHECK_TIMEOUT_MS);
    expect(await answer).toEqual({
      status: 'DOWN',
      checks: [
        { name: 'start-up', status: 'UP' },
        { name: 'database', status: 'DOWN' },
        { name: 'accepting-requests', status: 'UP' },
      ],
    });
    expect(reply.statusCode).toBe(503);
  });

  it('is DOWN before start-up finished and from the first shutdown signal on; liveness stays UP throughout', async () => {
    const database = { ping: async () => true } as unknown as Database;
    const lifecycle = new ServiceLifecycle();
    const controller = new ObservabilityController(database, { isConnected: false } as NatsClient, lifecycle, {} as CommonConfig);
    const statusOf = async () => {
      const reply = recordingReply();
      const answer = await controller.ready(reply);
      return [reply.statusCode, answer.status, controller.live().status];
    };
    expect(await statusOf()).toEqual([503, 'DOWN', 'UP']);
    lifecycle.markStarted();
    // NATS down (isConnected false) does not matter.
    expect(await statusOf()).toEqual([200, 'UP', 'UP']);
    lifecycle.beginShutdown();
    expect(await statusOf()).toEqual([503, 'DOWN', 'UP']);
  });
});
