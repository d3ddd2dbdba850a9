import { DynamicModule } from '@nestjs/common';
import { CommonConfig, loadConfig, ServiceConfig, ServiceName, serviceEnvShapes, SERVICE_PORT_VARIABLES } from '@keymint/config';
import { bootstrapService, ServiceBootstrapOptions, serviceLoggers } from './bootstrap';
import { announceWorkerReady, isServiceWorker, runWorkerProcesses, workerDrainTurn, workerListenTurn, WorkerSettings } from './worker-processes';

export interface ServiceLaunch<Name extends ServiceName> extends Pick<ServiceBootstrapOptions, 'errorStyle' | 'responseHeaders' | 'requestClientCertificate'> {
  name: Name;
  /** The service's root module for its configuration. */
  module: (config: ServiceConfig<Name>) => DynamicModule;
  /**
   * How many processes serve the service, and how long each may take to start (runWorkerProcesses); one when
   * absent. A configuration that several processes would serve wrongly throws here, before any starts. Asked in
   * the primary only.
   */
  workers?: (config: ServiceConfig<Name>) => Promise<WorkerSettings>;
}

/**
 * A service's whole main.ts: its configuration from the environment (its own
 * schema), its root module, and bootstrapService on the ports its variables set.
 */
export function launchService<Name extends ServiceName>(launch: ServiceLaunch<Name>): void {
  const { name, module, workers, ...options } = launch;
  runService(name, async () => {
    const config = loadConfig(serviceEnvShapes[name]) as ServiceConfig<Name>;
    // Every service's schema extends the common one (libs/config).
    const common = config as CommonConfig & Record<string, unknown>;
    if (workers && !isServiceWorker()) {
      const settings = await workers(config);
      if (settings.count > 1) {
        await runWorkerProcesses(name, settings, serviceLoggers(name, common), common.SHUTDOWN_DELAY);
        return;
      }
    }
    const variables = SERVICE_PORT_VARIABLES[name];
    const port = (variable: string) => ({ port: common[variable] as number, variable });
    await bootstrapService({
      ...options,
      name,
      module: module(config),
      config: common,
      https: port(variables.https),
      http: port(variables.http),
      beforeListen: isServiceWorker() ? workerListenTurn : undefined,
      beforeDrain: isServiceWorker() ? workerDrainTurn : undefined,
    });
    announceWorkerReady();
  });
}

/** A failed start writes one clear fatal line and exits 1 (its configuration may be what failed: default log settings). */
export function runService(name: ServiceName, start: () => Promise<unknown>): void {
  start().catch((error: Error) => {
    serviceLoggers(name, { LOG_LEVEL: 'info', LOG_FORMAT: undefined }).app.fatal(error.message);
    process.exit(1);
  });
}
