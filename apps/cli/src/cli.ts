import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerAppsCommands } from './commands/apps.command';
import { registerKeysCommands } from './commands/keys.command';
import { registerScopesCommands } from './commands/scopes.command';
import { registerSessionCommands } from './commands/session.command';
import { registerStatsCommands } from './commands/stats.command';
import { registerTokenCommand } from './commands/token.command';
import { registerUsersCommands } from './commands/users.command';
import { CliDependencies } from './context';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, oneLine, UsageError } from './errors';
import { urlValue } from './options';

/** The whole command tree; every subcommand inherits the output and exit settings set here first. */
export function buildProgram(dependencies: CliDependencies): Command {
  const program = new Command('keymint');
  program
    .description('keymint from the command line: applications, keys, tokens, users, scopes and statistics')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (text) => dependencies.stdout(text), writeErr: (text) => dependencies.stderr(text) })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .option('--registry <url>', 'application registry (env KEYMINT_REGISTRY_URL; default https://localhost:9443)', urlValue)
    .option('--token-url <url>', 'token endpoint, or the token service\'s base URL (/token is added) (env KEYMINT_TOKEN_URL; default https://localhost:8243/token)', urlValue)
    .option('--analytics <url>', 'analytics service (env KEYMINT_ANALYTICS_URL; default https://localhost:9643)', urlValue)
    .option('--json', 'print the server\'s JSON answer instead of a table')
    .option('--insecure', 'accept any TLS certificate (self-signed development clusters)')
    .option('--ca <file>', 'trust this PEM certificate (authority) for HTTPS')
    .option('--user <username>', 'HTTP Basic as this user for this call instead of the stored login')
    .option('--password-stdin', 'read passwords from standard input, one per line, instead of prompting')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the request failed (the server said no, or could not be reached), 2 usage error.\nDocumentation: docs/cli.md',
    );

  registerSessionCommands(program, dependencies);
  registerAppsCommands(program, dependencies);
  registerKeysCommands(program, dependencies);
  registerTokenCommand(program, dependencies);
  registerUsersCommands(program, dependencies);
  registerScopesCommands(program, dependencies);
  registerStatsCommands(program, dependencies);
  return program;
}

/** Runs one command line (without node and the script path) and returns the exit code. */
export async function runCli(argv: string[], dependencies: CliDependencies): Promise<number> {
  const program = buildProgram(dependencies);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has already printed its message (or the help that was asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof UsageError) {
      dependencies.stderr(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // RequestFailedError, and anything unexpected: the command did not do its job.
    const message = error instanceof Error ? error.message : String(error);
    dependencies.stderr(`error: ${oneLine(message)}\n`);
    return EXIT_FAILURE;
  }
}

/** The monorepo's version, found from both the sources and dist/. */
function packageVersion(): string {
  for (let folder = __dirname; folder !== dirname(folder); folder = dirname(folder)) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'keymint' && manifest.version) return manifest.version;
    }
  }
  return '0.0.0';
}
