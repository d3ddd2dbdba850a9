import { DynamicModule } from '@nestjs/common';
import { CommonConfig, loadConfig, ServiceConfig, ServiceName, serviceEnvShapes, SERVICE_PORT_VARIABLES } from '@keymint/config';
import { bootstrapService, ServiceBootstrapOptions, serviceLoggers } from './bootstrap';

export interface ServiceLaunch<Name extends ServiceName> extends Pick<ServiceBootstrapOptions, 'errorStyle' | 'responseHeaders' | 'requestClientCertificate'> {
  name: Name;
  /** The service's root module for its configuration. */
  module: (config: ServiceConfig<Name>) => DynamicModule;
}

/**
 * A service's whole main.ts: its configuration from the environment (its own
 * schema), its root module, and bootstrapService on the ports its variables set.
 */
export function launchService<Name extends ServiceName>(launch: ServiceLaunch<Name>): void {
  const { name, module, ...options } = launch;
  runService(name, async () => {
    const config = loadConfig(serviceEnvShapes[name]) as ServiceConfig<Name>;
    // Every service's schema extends the common one (libs/config).
    const common = config as CommonConfig & Record<string, unknown>;
    const variables = SERVICE_PORT_VARIABLES[name];
    const port = (variable: string) => ({ port: common[variable] as number, variable });
    await bootstrapService({ ...options, name, module: module(config), config: common, https: port(variables.https), http: port(variables.http) });
  });
}

/** A failed start writes one clear fatal line and exits 1 (its configuration may be what failed: default log settings). */
export function runService(name: ServiceName, start: () => Promise<unknown>): void {
  start().catch((error: Error) => {
    serviceLoggers(name, { LOG_LEVEL: 'info', LOG_FORMAT: undefined }).app.fatal(error.message);
    process.exit(1);
  });
}
