import { Command, Option } from 'commander';
import { CliDependencies, CommandContext } from '../context';
import { segment } from '../http/api-client';
import { keyValue, nonNegativeInteger, oneOf, positiveInteger } from '../options';
import { renderFields } from '../output/output';
import { Application, ApplicationList, DEVPORTAL } from './registry-shapes';
import { resolveApplicationId } from './resolve';

const THROTTLING_POLICIES = ['Unlimited', '50PerMin', '20PerMin', '10PerMin'] as const;
const TOKEN_TYPES = ['JWT', 'OAUTH'] as const;

interface ListOptions {
  query?: string;
  limit?: number;
  offset?: number;
}

interface CreateOptions {
  description?: string;
  throttlingPolicy?: string;
  tokenType?: string;
  attribute?: Record<string, string>;
}

export function registerAppsCommands(program: Command, dependencies: CliDependencies): void {
  const apps = program.command('apps').description('your applications (Developer Portal API; an admin sees everyone\'s)');

  apps
    .command('list')
    .description('list applications')
    .option('--query <text>', 'only names containing this text')
    .option('--limit <n>', 'at most this many (1-100, server default 25)', positiveInteger)
    .option('--offset <n>', 'skip this many', nonNegativeInteger)
    .action(async (options: ListOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const answer = await context.api().call<ApplicationList>('registry', {
        method: 'GET',
        path: `${DEVPORTAL}/applications`,
        query: { query: options.query, limit: options.limit, offset: options.offset },
      });
      context.output.list(
        answer,
        answer.list,
        [
          { header: 'ID', value: (app) => app.applicationId },
          { header: 'NAME', value: (app) => app.name },
          { header: 'OWNER', value: (app) => app.owner },
          { header: 'POLICY', value: (app) => app.throttlingPolicy },
          { header: 'TOKEN TYPE', value: (app) => app.tokenType },
        ],
        'No applications.',
      );
    });

  apps
    .command('create')
    .description('create an application')
    .argument('<name>', 'application name (unique for its owner)')
    .option('--description <text>', 'what it is for')
    .addOption(new Option('--throttling-policy <policy>', 'rate tier for gateways').argParser(oneOf(THROTTLING_POLICIES)).choices(THROTTLING_POLICIES))
    .addOption(new Option('--token-type <type>', 'access token format').argParser(oneOf(TOKEN_TYPES)).choices(TOKEN_TYPES))
    .option('--attribute <name=value>', 'a custom attribute (repeatable)', keyValue)
    .action(async (name: string, options: CreateOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const application = await context.api().call<Application>('registry', {
        method: 'POST',
        path: `${DEVPORTAL}/applications`,
        body: {
          name,
          description: options.description,
          throttlingPolicy: options.throttlingPolicy,
          tokenType: options.tokenType,
          attributes: options.attribute,
        },
      });
      context.output.result(application, () => `Created application ${application.name} (${application.applicationId}).\n`);
    });

  apps
    .command('get')
    .description('show an application and its keys')
    .argument('<app>', 'application ID or name')
    .action(async (reference: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const applicationId = await resolveApplicationId(context, reference);
      const application = await context
        .api()
        .call<Application>('registry', { method: 'GET', path: `${DEVPORTAL}/applications/${segment(applicationId)}` });
      context.output.result(application, () => describeApplication(application));
    });

  apps
    .command('delete')
    .description('delete an application, its keys and its tokens')
    .argument('<app>', 'application ID or name')
    .action(async (reference: string, _options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const applicationId = await resolveApplicationId(context, reference);
      await context.api().call<void>('registry', { method: 'DELETE', path: `${DEVPORTAL}/applications/${segment(applicationId)}` });
      context.output.result({ applicationId, deleted: true }, () => `Deleted application ${applicationId}.\n`);
    });
}

export function describeApplication(application: Application): string {
  const attributes = Object.entries(application.attributes ?? {}).map(([name, value]) => `${name}=${value}`);
  const keys = (application.keys ?? []).map((key) => `${key.keyType} ${key.consumerKey}`);
  return renderFields([
    ['ID', application.applicationId],
    ['Name', application.name],
    ['Owner', application.owner],
    ['Throttling policy', application.throttlingPolicy],
    ['Token type', application.tokenType],
    ['Description', application.description],
    ['Attributes', attributes],
    ['Status', application.status],
    ['Keys', keys.join('; ')],
    ['Created', application.createdTime],
  ]);
}
