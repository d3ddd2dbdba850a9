import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment that preloads async-hook-probe.js into every service of a test cluster: each service then says
 * in its log when an async hook, or promise hooks, get enabled in it. No AsyncLocalStorage and no async hook may
 * run in a keymint service (libs/telemetry, request-context.ts): on Node 20 one costs every promise of the process
 * a hook, ~12-15 µs of CPU per token request (docs/performance.md).
 */
export function asyncHookProbeEnv(): Record<string, string> {
  return { NODE_OPTIONS: `--require ${join(__dirname, 'async-hook-probe.js')}` };
}

/** What the probe said in each service log of `dataDir`: whether it was installed, and what it saw enabled. */
export function asyncHookReports(dataDir: string): Record<string, { installed: boolean; enabled: string[] }> {
  const folder = join(dataDir, 'logs');
  return Object.fromEntries(
    readdirSync(folder).map((file) => {
      const lines = readFileSync(join(folder, file), 'utf8').split('\n').filter((line) => line.startsWith('async-hook-probe: '));
      return [file, { installed: lines.includes('async-hook-probe: installed'), enabled: lines.filter((line) => line !== 'async-hook-probe: installed') }];
    }),
  );
}
