import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { register } from 'prom-client';
import { Database } from '@keymint/persistence';
import { NatsClient } from '@keymint/messaging';

/** GET /health and GET /metrics, the same on every service. */
@Controller()
export class ObservabilityController {
  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(NatsClient) private readonly nats: NatsClient,
  ) {}

  @Get('health')
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; nats: string; db: string }> {
    const nats = this.nats.isConnected ? 'up' : 'down';
    const db = (await this.database.ping()) ? 'up' : 'down';
    const healthy = nats === 'up' && db === 'up';
    void reply.status(healthy ? 200 : 503);
    return { status: healthy ? 'ok' : 'unavailable', nats, db };
  }

  @Get('metrics')
  @HttpCode(200)
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
