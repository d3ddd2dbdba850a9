import { Command } from 'commander';
import { CliDependencies, CommandContext } from '../context';
import { RequestFailedError } from '../errors';
import { segment } from '../http/api-client';
import { listValue } from '../options';
import { renderFields } from '../output/output';
import { ADMIN, Scope, ScopeList } from './registry-shapes';

const describeScope = (scope: Scope) =>
  renderFields([
    ['Name', scope.name],
    ['Description', scope.description],
    ['Bindings', scope.bindings],
  ]);

export function registerScopesCommands(program: Command, dependencies: CliDependencies): void {
  const scopes = program.command('scopes').description('OAuth scopes and the roles they are bound to (admin only)');

  scopes
    .command('list')
    .description('list scopes')
    .action(async (_options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const answer = await context.api().call<ScopeList>('registry', { method: 'GET', path: `${ADMIN}/scopes` });
      context.output.list(
        answer,
        answer.list,
        [
          { header: 'NAME', value: (scope) => scope.name },
          { header: 'BINDINGS', value: (scope) => scope.bindings },
          { header: 'DESCRIPTION', value: (scope) => scope.description },
        ],
        'No scopes.',
      );
    });

  scopes
    .command('get')
    .description('show a scope')
    .argument('<name>')
    .action(async (name: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const scope = await context.api().call<Scope>('registry', { method: 'GET', path: `${ADMIN}/scopes/${segment(name)}` });
      context.output.result(scope, () => describeScope(scope));
    });

  scopes
    .command('set')
    .description('create a scope, or change it (what is not given stays as it is)')
    .argument('<name>', 'RFC 6749 scope token, e.g. orders:read')
    .option('--description <text>', 'what the scope allows')
    .option('--bindings <roles>', 'roles that may receive it in user grants: admin, subscriber (comma-separated; "" for none)', listValue)
    .action(async (name: string, options: { description?: string; bindings?: string[] }, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const api = context.api();
      const path = `${ADMIN}/scopes/${segment(name)}`;
      const current = await api.call<Scope>('registry', { method: 'GET', path }).catch((error: unknown) => {
        if (error instanceof RequestFailedError && error.status === 404) return undefined;
        throw error;
      });
      const scope = await api.call<Scope>('registry', {
        method: 'PUT',
        path,
        body: {
          name,
          description: options.description ?? current?.description ?? '',
          bindings: options.bindings ?? current?.bindings ?? [],
        },
      });
      context.output.result(scope, () => `${current ? 'Updated' : 'Created'} scope ${scope.name}.\n${describeScope(scope)}`);
    });

  scopes
    .command('delete')
    .description('delete a scope (refused while a key allows it, and for built-in scopes)')
    .argument('<name>')
    .action(async (name: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      await context.api().call<void>('registry', { method: 'DELETE', path: `${ADMIN}/scopes/${segment(name)}` });
      context.output.result({ name, deleted: true }, () => `Deleted scope ${name}.\n`);
    });
}
