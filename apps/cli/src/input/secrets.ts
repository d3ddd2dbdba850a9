import { UsageError } from '../errors';

/** Terminal and stdin access, injected so tests can script them. */
export interface Terminal {
  /** Whether stdin is a terminal (prompting is possible). */
  interactive: boolean;
  readStdin(): Promise<string>;
  prompt(question: string, hidden: boolean): Promise<string>;
}

/**
 * Passwords come from stdin (--password-stdin, one per line, in the order the
 * command asks for them) or a hidden prompt; never from the command line,
 * where other users could read them in the process list.
 */
export class SecretReader {
  private lines?: Promise<string[]>;

  constructor(
    private readonly terminal: Terminal,
    private readonly fromStdin: boolean,
  ) {}

  async password(label: string): Promise<string> {
    let value: string;
    if (this.fromStdin) {
      this.lines ??= this.terminal.readStdin().then((text) => text.split(/\r?\n/));
      const lines = await this.lines;
      value = lines.shift() ?? '';
      if (value === '') throw new UsageError(`--password-stdin: no ${label} on standard input`);
    } else if (this.terminal.interactive) {
      value = await this.terminal.prompt(`${capitalized(label)}: `, true);
      if (value === '') throw new UsageError(`no ${label} given`);
    } else {
      throw new UsageError(`${label} needed: pipe it in with --password-stdin`);
    }
    return value;
  }

  /** A visible answer (a username), prompted for only on a terminal. */
  async text(label: string, flag: string): Promise<string> {
    if (!this.terminal.interactive || this.fromStdin) throw new UsageError(`${flag} is required`);
    const value = (await this.terminal.prompt(`${capitalized(label)}: `, false)).trim();
    if (value === '') throw new UsageError(`${flag} is required`);
    return value;
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
