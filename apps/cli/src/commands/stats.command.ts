import { Command, Option } from 'commander';
import {
  COUNTED_CLIENT_AUTH_METHODS,
  GRANT_TYPES,
  GRANULARITIES,
  IssuanceSeries,
  KeyType,
  ListOf,
  RegisteredUsersRow,
  Summary,
  TOKEN_BINDINGS,
  TopUsersRow,
} from '@keymint/contracts';
import { CliDependencies, CommandContext } from '../context';
import { keyType, nonNegativeInteger, oneOf, positiveInteger } from '../options';
import { renderFields, renderTable } from '../output/output';
import { resolveApplicationId } from './resolve';

interface RangeOptions {
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

const ANALYTICS = '/api/analytics/v1';

function withRange(command: Command): Command {
  return command
    .option('--from <time>', 'ISO 8601 start (default: 24 hours before --to)')
    .option('--to <time>', 'ISO 8601 end (default: now)');
}

export function registerStatsCommands(program: Command, dependencies: CliDependencies): void {
  const stats = program.command('stats').description('token statistics from the analytics service (admin only)');

  withRange(stats.command('summary').description('tokens minted and served per grant type, client authentication and binding, reuse, registered users')).action(
    async (options: RangeOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const summary = await context
        .api()
        .call<Summary>('analytics', { method: 'GET', path: `${ANALYTICS}/summary`, query: { from: options.from, to: options.to } });
      context.output.result(summary, () => {
        const grants = [...new Set([...GRANT_TYPES, ...Object.keys(summary.minted ?? {}), ...Object.keys(summary.served ?? {})])];
        return (
          renderFields([
            ['From', summary.from],
            ['To', summary.to],
            ['Reused', summary.reused],
            ['Registered users', summary.registeredUsers],
            ['Applications', summary.applications],
          ]) +
          '\n' +
          renderTable(
            [
              { header: 'GRANT TYPE', value: (grant: string) => grant },
              // Indexed by any name: a newer server may report a grant type this CLI does not know yet.
              { header: 'MINTED', value: (grant: string) => (summary.minted as Record<string, number> | undefined)?.[grant] ?? 0 },
              { header: 'SERVED', value: (grant: string) => (summary.served as Record<string, number> | undefined)?.[grant] ?? 0 },
            ],
            grants,
          ) +
          breakdownTables(summary)
        );
      });
    },
  );

  withRange(stats.command('issuance').description('tokens over time (a sparse series per grant type)'))
    .addOption(new Option('--granularity <unit>', 'bucket size').choices(GRANULARITIES).argParser(oneOf(GRANULARITIES)))
    .option('--app <app>', 'only this application (ID or name)')
    .addOption(new Option('--grant-type <grant>', 'only this grant').choices(GRANT_TYPES).argParser(oneOf(GRANT_TYPES)))
    .addOption(new Option('--key-type <type>', 'only PRODUCTION or SANDBOX keys').argParser(keyType))
    .addOption(
      new Option('--client-auth-method <method>', 'only tokens whose clients authenticated this way')
        .choices(COUNTED_CLIENT_AUTH_METHODS)
        .argParser(oneOf(COUNTED_CLIENT_AUTH_METHODS)),
    )
    .addOption(new Option('--binding <binding>', 'only bearer, DPoP-bound or certificate-bound tokens').choices(TOKEN_BINDINGS).argParser(oneOf(TOKEN_BINDINGS)))
    .option('--limit <n>', 'at most this many points (1-1000)', positiveInteger)
    .option('--offset <n>', 'skip this many points', nonNegativeInteger)
    .action(
      async (options: RangeOptions & { granularity?: string; app?: string; grantType?: string; keyType?: KeyType; clientAuthMethod?: string; binding?: string }, command: Command) => {
        const context = CommandContext.of(command, dependencies);
        const applicationId = options.app === undefined ? undefined : await resolveApplicationId(context, options.app);
        const series = await context.api().call<IssuanceSeries>('analytics', {
          method: 'GET',
          path: `${ANALYTICS}/token-issuance`,
          query: {
            from: options.from,
            to: options.to,
            granularity: options.granularity,
            applicationId,
            grantType: options.grantType,
            keyType: options.keyType,
            clientAuthMethod: options.clientAuthMethod,
            tokenBinding: options.binding,
            limit: options.limit,
            offset: options.offset,
          },
        });
        context.output.list(
          series,
          series.list,
          [
            { header: 'TIME', value: (point) => point.time },
            { header: 'GRANT TYPE', value: (point) => point.grantType },
            { header: 'MINTED', value: (point) => point.minted },
            { header: 'SERVED', value: (point) => point.served },
          ],
          `No tokens between ${series.from} and ${series.to}.`,
        );
      },
    );

  withRange(stats.command('registered-users').description('per application: distinct users who got tokens with the password grant'))
    .option('--limit <n>', 'at most this many applications (1-1000)', positiveInteger)
    .option('--offset <n>', 'skip this many', nonNegativeInteger)
    .action(async (options: RangeOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const answer = await context.api().call<ListOf<RegisteredUsersRow>>('analytics', {
        method: 'GET',
        path: `${ANALYTICS}/applications/registered-users`,
        query: { from: options.from, to: options.to, limit: options.limit, offset: options.offset },
      });
      context.output.list(
        answer,
        answer.list,
        [
          { header: 'APPLICATION ID', value: (row) => row.applicationId },
          { header: 'NAME', value: (row) => row.applicationName },
          { header: 'OWNER', value: (row) => row.owner },
          { header: 'USERS', value: (row) => row.registeredUsers },
        ],
        'No applications.',
      );
    });

  stats
    .command('top-users')
    .description('the busiest users of each application (all time)')
    .option('--limit <n>', 'users per application (1-1000, default 10)', positiveInteger)
    .action(async (options: { limit?: number }, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const answer = await context
        .api()
        .call<ListOf<TopUsersRow>>('analytics', { method: 'GET', path: `${ANALYTICS}/top-users`, query: { limit: options.limit } });
      const rows = answer.list.flatMap((application) => application.users.map((user) => ({ application, user })));
      context.output.list(
        answer,
        rows,
        [
          { header: 'APPLICATION ID', value: (row) => row.application.applicationId },
          { header: 'NAME', value: (row) => row.application.applicationName },
          { header: 'USER', value: (row) => row.user.username },
          { header: 'TOKENS', value: (row) => row.user.tokenCount },
        ],
        'No users yet.',
      );
    });
}

/** Tokens by client authentication and by binding, the values that got any (none from a server older than these). */
function breakdownTables(summary: Summary): string {
  return (
    countTable('CLIENT AUTHENTICATION', summary.clientAuthMethods as Record<string, { minted: number; served: number }> | undefined) +
    countTable('BINDING', summary.tokenBindings as Record<string, { minted: number; served: number }> | undefined)
  );
}

function countTable(header: string, counts: Record<string, { minted: number; served: number }> | undefined): string {
  const rows = Object.entries(counts ?? {}).filter(([, count]) => count.served > 0);
  if (rows.length === 0) return '';
  return (
    '\n' +
    renderTable(
      [
        { header, value: ([name]: (typeof rows)[number]) => name },
        { header: 'MINTED', value: ([, count]: (typeof rows)[number]) => count.minted },
        { header: 'SERVED', value: ([, count]: (typeof rows)[number]) => count.served },
      ],
      rows,
    )
  );
}
