import { Command, Option } from 'commander';
import { CliDependencies, CommandContext } from '../context';
import { UsageError } from '../errors';
import { segment } from '../http/api-client';
import { KeyType } from '@keymint/contracts';
import { keyType, listValue, positiveInteger, resourceValue } from '../options';
import { renderFields } from '../output/output';
import { ApplicationKey, ConsumerSecretList, DEVPORTAL, GeneratedConsumerSecret, KeyList } from './registry-shapes';
import { findKey, resolveApplicationId, resolveKey } from './resolve';

interface KeyOptions {
  app: string;
  keyType?: KeyType;
  grantTypes?: string[];
  scopes?: string[];
  validity?: number;
  callbackUrl?: string;
  resource?: string[];
}

const SECRET_NOTE = 'Keep the consumer secret now: it is shown only once.\n';

function keyTypeOption(description: string, withDefault: boolean): Option {
  const option = new Option('--key-type <type>', description).argParser(keyType);
  return withDefault ? option.default('PRODUCTION') : option;
}

/** --grant-types, --scopes, --validity, --callback-url, --resource: shared by generate and update. */
function addKeySettings(command: Command): Command {
  return command
    .option('--grant-types <list>', 'client_credentials, password, refresh_token (comma-separated)', listValue)
    .option('--scopes <list>', 'scopes the key may be granted (comma-separated)', listValue)
    .option('--validity <seconds>', 'default access token lifetime', positiveInteger)
    .option('--callback-url <url>', 'OAuth callback URL')
    .option(
      '--resource <uri>',
      "a resource (RFC 8707: an absolute URI) the key's tokens may be asked for; repeat for several, all of them replace the key's list (--resource '' for none)",
      resourceValue,
    );
}

export function registerKeysCommands(program: Command, dependencies: CliDependencies): void {
  const keys = program.command('keys').description("an application's consumer keys and secrets");

  addKeySettings(
    keys
      .command('generate')
      .description('generate the consumer key and secret of one key type')
      .requiredOption('--app <app>', 'application ID or name')
      .addOption(keyTypeOption('PRODUCTION or SANDBOX', true)),
  ).action(async (options: KeyOptions, command: Command) => {
    const context = CommandContext.of(command, dependencies);
    const applicationId = await resolveApplicationId(context, options.app);
    const key = await context.api().call<ApplicationKey>('registry', {
      method: 'POST',
      path: `${DEVPORTAL}/applications/${segment(applicationId)}/generate-keys`,
      body: {
        keyType: options.keyType,
        grantTypesToBeSupported: options.grantTypes,
        scopes: options.scopes,
        validityTime: options.validity,
        callbackUrl: options.callbackUrl,
        resources: options.resource,
      },
    });
    context.output.result(key, () => describeKey(key) + SECRET_NOTE);
  });

  keys
    .command('show')
    .description("show an application's keys (never their secrets)")
    .requiredOption('--app <app>', 'application ID or name')
    .addOption(keyTypeOption('only this key type', false))
    .action(async (options: KeyOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const applicationId = await resolveApplicationId(context, options.app);
      if (options.keyType) {
        const key = await findKey(context, applicationId, options.keyType);
        context.output.result(key, () => describeKey(key));
        return;
      }
      const answer = await context
        .api()
        .call<KeyList>('registry', { method: 'GET', path: `${DEVPORTAL}/applications/${segment(applicationId)}/oauth-keys` });
      context.output.list(
        answer,
        answer.list,
        [
          { header: 'KEY TYPE', value: (key) => key.keyType },
          { header: 'CONSUMER KEY', value: (key) => key.consumerKey },
          { header: 'GRANT TYPES', value: (key) => key.supportedGrantTypes },
          { header: 'SCOPES', value: (key) => key.scopes },
          { header: 'VALIDITY', value: (key) => key.validityTime },
          { header: 'KEY MAPPING ID', value: (key) => key.keyMappingId },
        ],
        'No keys: generate them with keymint keys generate.',
      );
    });

  addKeySettings(
    keys
      .command('update')
      .description("change a key's grant types, scopes, validity, callback URL or resources (only what is given)")
      .requiredOption('--app <app>', 'application ID or name')
      .addOption(keyTypeOption('PRODUCTION or SANDBOX', true)),
  ).action(async (options: KeyOptions, command: Command) => {
    const changes = {
      supportedGrantTypes: options.grantTypes,
      scopes: options.scopes,
      validityTime: options.validity,
      callbackUrl: options.callbackUrl,
      resources: options.resource,
    };
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new UsageError('nothing to update: give --grant-types, --scopes, --validity, --callback-url or --resource');
    }
    const context = CommandContext.of(command, dependencies);
    const { path } = await resolveKey(context, options.app, options.keyType ?? 'PRODUCTION');
    const key = await context.api().call<ApplicationKey>('registry', {
      method: 'PUT',
      path,
      body: changes,
    });
    context.output.result(key, () => describeKey(key));
  });

  keys
    .command('regenerate-secret')
    .description('issue a new consumer secret; the old one and its tokens stop working at once')
    .requiredOption('--app <app>', 'application ID or name')
    .addOption(keyTypeOption('PRODUCTION or SANDBOX', true))
    .action(async (options: KeyOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const { path } = await resolveKey(context, options.app, options.keyType ?? 'PRODUCTION');
      const answer = await context.api().call<{ consumerKey: string; consumerSecret: string }>('registry', {
        method: 'POST',
        path: `${path}/regenerate-secret`,
      });
      context.output.result(
        answer,
        () => renderFields([['Consumer key', answer.consumerKey], ['Consumer secret', answer.consumerSecret]]) + SECRET_NOTE,
      );
    });

  registerSecretsCommands(keys, dependencies);

  keys
    .command('delete')
    .description('delete a key; its tokens are revoked')
    .requiredOption('--app <app>', 'application ID or name')
    .addOption(keyTypeOption('PRODUCTION or SANDBOX', true))
    .action(async (options: KeyOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const { applicationId, key, path } = await resolveKey(context, options.app, options.keyType ?? 'PRODUCTION');
      await context.api().call<void>('registry', { method: 'DELETE', path });
      context.output.result(
        { applicationId, keyMappingId: key.keyMappingId, deleted: true },
        () => `Deleted the ${key.keyType} key ${key.consumerKey}.\n`,
      );
    });
}

interface SecretOptions {
  app: string;
  keyType?: KeyType;
  description?: string;
  expiresIn?: number;
}

/** keymint keys secrets list|add|revoke: several secrets per key, for rotation without downtime (docs/operations.md). */
function registerSecretsCommands(keys: Command, dependencies: CliDependencies): void {
  const secrets = keys
    .command('secrets')
    .description("a key's consumer secrets: up to 5 at once, so a service can rotate its secret without downtime");

  secrets
    .command('list')
    .description("list a key's secrets, active and expired (never the secrets themselves)")
    .requiredOption('--app <app>', 'application ID or name')
    .addOption(keyTypeOption('PRODUCTION or SANDBOX', true))
    .action(async (options: SecretOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const { path } = await resolveKey(context, options.app, options.keyType ?? 'PRODUCTION');
      const answer = await context.api().call<ConsumerSecretList>('registry', { method: 'GET', path: `${path}/secrets` });
      context.output.list(
        answer,
        answer.list,
        [
          { header: 'SECRET ID', value: (secret) => secret.secretId },
          { header: 'STATUS', value: (secret) => secret.status },
          { header: 'DESCRIPTION', value: (secret) => secret.description },
          { header: 'CREATED', value: (secret) => secret.createdAt },
          { header: 'EXPIRES', value: (secret) => secret.expiresAt ?? 'never' },
          { header: 'LAST USED', value: (secret) => secret.lastUsedAt ?? '-' },
        ],
        'No secrets: give the key one with keymint keys secrets add (or keymint keys regenerate-secret).',
      );
    });

  secrets
    .command('add')
    .description('add a secret to the key; its other secrets keep working')
    .requiredOption('--app <app>', 'application ID or name')
    .addOption(keyTypeOption('PRODUCTION or SANDBOX', true))
    .option('--description <text>', 'what the secret is for (e.g. where it is deployed)')
    .option('--expires-in <seconds>', 'the secret stops working after this many seconds (default: never)', positiveInteger)
    .action(async (options: SecretOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const { path } = await resolveKey(context, options.app, options.keyType ?? 'PRODUCTION');
      const answer = await context.api().call<GeneratedConsumerSecret>('registry', {
        method: 'POST',
        path: `${path}/generate-secret`,
        body: { description: options.description, expiresIn: options.expiresIn },
      });
      context.output.result(
        answer,
        () =>
          renderFields([
            ['Secret ID', answer.secretId],
            ['Consumer secret', answer.consumerSecret],
            ['Description', answer.description],
            ['Expires', answer.expiresAt ?? 'never'],
          ]) + SECRET_NOTE,
      );
    });

  secrets
    .command('revoke')
    .description('revoke one secret: it stops working at once; tokens obtained with it stay valid (a leaked secret: use regenerate-secret)')
    .requiredOption('--app <app>', 'application ID or name')
    .addOption(keyTypeOption('PRODUCTION or SANDBOX', true))
    .argument('<secret-id>', 'the secret to revoke (see keymint keys secrets list)')
    .action(async (secretId: string, options: SecretOptions, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const { path } = await resolveKey(context, options.app, options.keyType ?? 'PRODUCTION');
      await context.api().call<void>('registry', { method: 'POST', path: `${path}/revoke-secret`, body: { secretId } });
      context.output.result({ secretId, revoked: true }, () => `Revoked the secret ${secretId}.\n`);
    });
}

export function describeKey(key: ApplicationKey): string {
  return renderFields([
    ['Key type', key.keyType],
    ['Consumer key', key.consumerKey],
    ...(key.consumerSecret ? ([['Consumer secret', key.consumerSecret]] as Array<[string, unknown]>) : []),
    ['Grant types', key.supportedGrantTypes],
    ['Scopes', key.scopes],
    ['Validity (s)', key.validityTime],
    ['Callback URL', key.callbackUrl],
    ['Resources', key.resources],
    ['State', key.keyState],
    ['Key mapping ID', key.keyMappingId],
  ]);
}
