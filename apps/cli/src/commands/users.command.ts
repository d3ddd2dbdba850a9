import { Command } from 'commander';
import { CliDependencies, CommandContext } from '../context';
import { segment } from '../http/api-client';
import { listValue } from '../options';
import { renderFields } from '../output/output';
import { ADMIN, User, UserList } from './registry-shapes';

const describeUser = (user: User) =>
  renderFields([
    ['Username', user.username],
    ['Roles', user.roles],
    ['User ID', user.userId],
  ]);

export function registerUsersCommands(program: Command, dependencies: CliDependencies): void {
  const users = program.command('users').description('registry users (admin only); passwords are read with --password-stdin or prompted for');

  users
    .command('list')
    .description('list users')
    .action(async (_options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const answer = await context.api().call<UserList>('registry', { method: 'GET', path: `${ADMIN}/users` });
      context.output.list(
        answer,
        answer.list,
        [
          { header: 'USERNAME', value: (user) => user.username },
          { header: 'ROLES', value: (user) => user.roles },
          { header: 'USER ID', value: (user) => user.userId },
        ],
        'No users.',
      );
    });

  users
    .command('create')
    .description('create a user')
    .argument('<username>', 'letters, digits and . _ - @ (3-64 characters)')
    .option('--roles <list>', 'admin, subscriber (comma-separated; none: an end user)', listValue)
    .action(async (username: string, options: { roles?: string[] }, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const api = context.api();
      await context.readCallerPassword();
      const password = await context.secrets.password(`new password for ${username}`);
      const user = await api.call<User>('registry', {
        method: 'POST',
        path: `${ADMIN}/users`,
        body: { username, password, roles: options.roles ?? [] },
      });
      context.output.result(user, () => `Created user ${user.username}.\n${describeUser(user)}`);
    });

  users
    .command('get')
    .description('show a user')
    .argument('<username>')
    .action(async (username: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const user = await context.api().call<User>('registry', { method: 'GET', path: `${ADMIN}/users/${segment(username)}` });
      context.output.result(user, () => describeUser(user));
    });

  users
    .command('delete')
    .description('delete a user and the applications it owns')
    .argument('<username>')
    .action(async (username: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      await context.api().call<void>('registry', { method: 'DELETE', path: `${ADMIN}/users/${segment(username)}` });
      context.output.result({ username, deleted: true }, () => `Deleted user ${username}.\n`);
    });

  users
    .command('set-password')
    .description("replace a user's password")
    .argument('<username>')
    .action(async (username: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const api = context.api();
      await context.readCallerPassword();
      const password = await context.secrets.password(`new password for ${username}`);
      const user = await api.call<User>('registry', {
        method: 'PUT',
        path: `${ADMIN}/users/${segment(username)}/password`,
        body: { password },
      });
      context.output.result(user ?? { username }, () => `Changed the password of ${username}.\n`);
    });

  users
    .command('set-roles')
    .description("replace a user's roles (a role taken away revokes the user's tokens)")
    .argument('<username>')
    .requiredOption('--roles <list>', 'admin, subscriber (comma-separated; "" for none: an end user)', listValue)
    .action(async (username: string, options: { roles: string[] }, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const user = await context.api().call<User>('registry', {
        method: 'PUT',
        path: `${ADMIN}/users/${segment(username)}/roles`,
        body: { roles: options.roles },
      });
      context.output.result(user, () => `Changed the roles of ${user.username}.\n${describeUser(user)}`);
    });
}
