import { Controller, DynamicModule, Get, HttpCode, Inject, Injectable, Module, NotFoundException, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameSecretBytes } from '@keymint/contracts';
import { CommonConfig, CONFIG } from '@keymint/config';
import { recentAnswer } from '@keymint/telemetry';
import { register } from 'prom-client';
import { Database } from '@keymint/persistence';
import { NatsClient } from '@keymint/messaging';
import { serviceMetrics } from './worker-processes';

/** The answer of the probes, in the shape of MicroProfile Health (Keycloak's /health/*, Quarkus). */
export type ProbeStatus = 'UP' | 'DOWN';
export interface ProbeAnswer {
  status: ProbeStatus;
  checks: Array<{ name: string; status: ProbeStatus }>;
}

/** A database that does not answer within this is down for readiness: a probe must answer before its own timeout. */
export const DATABASE_CHECK_TIMEOUT_MS = 2000;
/** How long one database check answers every probe: a second, well under any probe period. */
const DATABASE_CHECK_REUSE_MS = 1000;

/**
 * Where the service is in its life, for the probes: started once the store is migrated, the bus connected and
 * every listener up (bootstrapService); stopping from the first SIGTERM/SIGINT, so that readiness turns DOWN
 * before the listeners close.
 */
@Injectable()
export class ServiceLifecycle {
  private startedAt?: Date;
  private stoppingAt?: Date;

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  get stopping(): boolean {
    return this.stoppingAt !== undefined;
  }

  markStarted(): void {
    this.startedAt ??= new Date();
  }

  beginShutdown(): void {
    this.stoppingAt ??= new Date();
  }
}

/**
 * GET /health/live, /health/ready, /health/started (docs/operations.md, "Probes"), the older GET /health, and
 * GET /metrics: the same on every service.
 */
@Controller()
export class ObservabilityController {
  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(ServiceLifecycle) private readonly lifecycle: ServiceLifecycle,
    @Inject(CONFIG) private readonly config: CommonConfig,
  ) {}

  /** Both dependencies, as before the probes existed: 503 whenever NATS or the database is down. */
  @Get('health')
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; nats: string; db: string }> {
    const nats = this.nats.isConnected ? 'up' : 'down';
    const db = (await this.databaseAnswers()) ? 'up' : 'down';
    const healthy = nats === 'up' && db === 'up';
    void reply.status(healthy ? 200 : 503);
    return { status: healthy ? 'ok' : 'unavailable', nats, db };
  }

  /**
   * The process serves: answering at all is the check. It depends on nothing outside the process, so a NATS or
   * database outage never gets a healthy service restarted; a wedged event loop does not answer in time.
   */
  @Get('health/live')
  live(): ProbeAnswer {
    return { status: 'UP', checks: [] };
  }

  /**
   * The service can do its job: started, not shutting down, and its database answers. NATS is not part of it:
   * every service keeps its main job while the bus is away (the token service issues from its store and client
   * cache, its events wait in the outbox; the registry and analytics answer from their stores).
   */
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ProbeAnswer> {
    return answer(reply, [
      { name: 'start-up', status: up(this.lifecycle.started) },
      { name: 'database', status: up(await this.databaseAnswers()) },
      { name: 'accepting-requests', status: up(!this.lifecycle.stopping) },
    ]);
  }

  /** Start-up finished: migrations applied, the bus connected, its consumers and every listener up. */
  @Get('health/started')
  started(@Res({ passthrough: true }) reply: FastifyReply): ProbeAnswer {
    return answer(reply, [{ name: 'start-up', status: up(this.lifecycle.started) }]);
  }

  /**
   * Prometheus' text. On the plain-HTTP port (loopback by default) to anyone who reaches it; on HTTPS only with
   * `Authorization: Bearer <METRICS_TOKEN>`, and not at all without METRICS_TOKEN (404, as if absent): what the
   * counters tell (failures by reason: which consumer keys exist, which are inactive) is for operators.
   */
  @Get('metrics')
  @HttpCode(200)
  metrics(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if ((request.raw.socket as { encrypted?: boolean }).encrypted) this.requireMetricsToken(request.headers.authorization);
    // Set here, not by a decorator: a refusal's JSON error must not be sent as Prometheus' text.
    void reply.header('Content-Type', register.contentType);
    return serviceMetrics();
  }

  private requireMetricsToken(authorization: string | undefined): void {
    const expected = this.config.METRICS_TOKEN;
    if (!expected) throw new NotFoundException('Cannot GET /metrics');
    const given = Buffer.from(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
    const wanted = Buffer.from(expected);
    if (!sameSecretBytes(given, wanted)) {
      throw new UnauthorizedException('GET /metrics on the HTTPS port needs Authorization: Bearer <METRICS_TOKEN>.');
    }
  }

  /** Probes are unauthenticated: a flood of them shares one ping a second (`recentAnswer`). */
  private readonly databaseAnswers = recentAnswer(() => this.pingDatabase(), DATABASE_CHECK_REUSE_MS);

  private async pingDatabase(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), DATABASE_CHECK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.database.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function up(condition: boolean): ProbeStatus {
  return condition ? 'UP' : 'DOWN';
}

/** UP (200) when every check is UP, else DOWN (503). */
function answer(reply: FastifyReply, checks: ProbeAnswer['checks']): ProbeAnswer {
  const status = up(checks.every((check) => check.status === 'UP'));
  void reply.status(status === 'UP' ? 200 : 503);
  return { status, checks };
}

/** The probes and metrics of a service, and the lifecycle they read; every service's root module imports it. */
@Module({})
export class ObservabilityModule {
  static forService(config: CommonConfig): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [ServiceLifecycle, { provide: CONFIG, useValue: config }],
      exports: [ServiceLifecycle],
    };
  }
}
