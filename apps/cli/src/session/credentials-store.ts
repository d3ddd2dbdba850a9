import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { CliEnv } from '../cli-env';
import { RequestFailedError } from '../errors';

/** What `keymint login` keeps: a token and the CLI application's client credentials, never the password. */
const storedCredentialsSchema = z.object({
  registry: z.string().min(1),
  tokenUrl: z.string().min(1),
  analytics: z.string().min(1),
  username: z.string().min(1),
  consumerKey: z.string().min(1),
  consumerSecret: z.string().min(1),
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  /** ISO 8601; the access token is refreshed shortly before this. */
  expiresAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 time'),
  scope: z.string().default(''),
});

export type StoredCredentials = z.infer<typeof storedCredentialsSchema>;

/** ~/.config/keymint/credentials.json, or under $XDG_CONFIG_HOME (only when absolute, as the XDG spec says). */
export function credentialsPath(env: Pick<CliEnv, 'XDG_CONFIG_HOME' | 'HOME'>): string {
  const configHome =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(configHome, 'keymint', 'credentials.json');
}

export class CredentialsStore {
  constructor(readonly path: string) {}

  /** null when nobody is logged in; a damaged file is an error that says what to do. */
  read(): StoredCredentials | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new RequestFailedError(`cannot read ${this.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const result = storedCredentialsSchema.safeParse(parsed);
    if (!result.success) throw new RequestFailedError(`${this.path} is damaged; run 'keymint logout' and 'keymint login' again`);
    return result.data;
  }

  /** Written to a 0600 temporary file and renamed, so the token is never readable by others, not even briefly. */
  write(credentials: StoredCredentials): void {
    const folder = dirname(this.path);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    // The mode argument is filtered by the umask; make sure anyway.
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
  }

  /** true when there was a file to delete. */
  delete(): boolean {
    try {
      rmSync(this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new RequestFailedError(`cannot delete ${this.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
}
