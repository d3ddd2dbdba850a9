import { Command } from 'commander';
import { CliDependencies, CommandContext } from '../context';
import { RequestFailedError } from '../errors';
import { ApiClient } from '../http/api-client';
import { revokeToken } from '../http/token-client';
import { renderFields } from '../output/output';
import { BasicAuth } from '../session/auth-providers';
import { StoredCredentials } from '../session/credentials-store';
import { LoginFlow } from '../session/login-flow';

export function registerSessionCommands(program: Command, dependencies: CliDependencies): void {
  program
    .command('login')
    .description('log in: keeps an access and refresh token (never the password) in ~/.config/keymint/credentials.json')
    .option('--username <name>', 'registry user (prompted for on a terminal)')
    .action(async (options: { username?: string }, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const username = options.username ?? context.options.user ?? (await context.secrets.text('username', '--username'));
      const password = await context.secrets.password(`password for ${username}`);
      const urls = context.urls();
      const basic = new BasicAuth(username, async () => password);
      const api = new ApiClient(context.transport, { registry: urls.registry, analytics: urls.analytics }, { registry: basic, analytics: basic });
      const credentials = await new LoginFlow(api, context.transport, urls, () => context.now()).run(username, password, previousLogin(context));
      context.store.write(credentials);
      const summary = {
        username: credentials.username,
        registry: credentials.registry,
        tokenUrl: credentials.tokenUrl,
        analytics: credentials.analytics,
        scope: credentials.scope,
        expiresAt: credentials.expiresAt,
        credentialsFile: context.store.path,
      };
      context.output.result(summary, () =>
        `Logged in to ${credentials.registry} as ${credentials.username}.\n` +
        renderFields([
          ['Scopes', credentials.scope],
          ['Token expires', credentials.expiresAt],
          ['Saved in', context.store.path],
        ]),
      );
    });

  program
    .command('logout')
    .description('revoke the stored tokens and delete the credentials file')
    .action(async (_options: object, command: Command) => {
      const context = CommandContext.of(command, dependencies);
      const stored = previousLogin(context);
      const revoked = stored ? await revokeStoredTokens(context, stored) : false;
      const deleted = context.store.delete();
      context.output.result({ loggedOut: deleted, revoked }, () =>
        deleted ? `Logged out${stored ? ` of ${stored.registry}` : ''}.\n` : 'Not logged in.\n',
      );
    });
}

/** The last login, or null (also when the file is damaged: login and logout replace it anyway). */
function previousLogin(context: CommandContext): StoredCredentials | null {
  try {
    return context.store.read();
  } catch (error) {
    if (error instanceof RequestFailedError) return null;
    throw error;
  }
}

/** Best effort: an unreachable token service must not keep anyone logged in. */
async function revokeStoredTokens(context: CommandContext, stored: StoredCredentials): Promise<boolean> {
  try {
    const results = await Promise.all([
      stored.refreshToken ? revokeToken(context.transport, stored.tokenUrl, stored, stored.refreshToken, 'refresh_token') : true,
      revokeToken(context.transport, stored.tokenUrl, stored, stored.accessToken, 'access_token'),
    ]);
    return results.every((result) => result);
  } catch {
    return false;
  }
}
