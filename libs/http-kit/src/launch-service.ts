import { DynamicModule } from '@nestjs/common';
import { CommonConfig, loadConfig, ServiceConfig, ServiceName, serviceEnvShapes, SERVICE_PORT_VARIABLES } from '@keymint/config';
import { bootstrapService, ServiceBootstrapOptions, serviceLoggers } from './bootstrap';
import { announceWorkerReady, isServiceWorker, runWorkerProcesses, workerDrainTurn, workerListenTurn } from './worker-processes';

export interface ServiceLaunch<Name extends ServiceName> extends Pick<ServiceBootstrapOptions, 'errorStyle' | 'responseHeaders' | 'requestClientCertificate'> {
  name: Name;
  /** The service's root module for its configuration. */
  module: (config: ServiceConfig<Name>) => DynamicModule;
  /**
   * How many processes serve the service (runWorkerProcesses); 1 when absent. A configuration that several
   * processes would serve wrongly throws here, before any starts.
   */
  workers?: (config: ServiceConfig<Name>) => number;
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
    const processes = workers?.(config) ?? 1;
    if (processes > 1 && !isServiceWorker()) {
      await runWorkerProcesses(name, processes, serviceLoggers(name, common), common.SHUTDOWN_DELAY);
      return;
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
