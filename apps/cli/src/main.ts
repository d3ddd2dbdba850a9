#!/usr/bin/env node
import { ConfigError, processEnv } from '@keymint/config';
import { CliEnv, loadCliEnv } from './cli-env';
import { runCli } from './cli';
import { EXIT_USAGE } from './errors';
import { NodeHttpTransport } from './http/http-transport';
import { nodeTerminal } from './input/node-terminal';

// `keymint … | head`: a reader that stops early is not an error; end quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/** The `keymint` command (package.json "bin"); see docs/cli.md. */
async function main(): Promise<number> {
  let env: CliEnv;
  try {
    env = loadCliEnv(processEnv());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  return runCli(process.argv.slice(2), {
    env,
    terminal: nodeTerminal(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    createTransport: (tls) => new NodeHttpTransport(tls),
    now: () => Date.now(),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
