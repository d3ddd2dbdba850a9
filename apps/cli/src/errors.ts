/**
 * The two ways a command fails, mapped to the exit codes scripts rely on:
 * 1 when the request failed (the server said no, or could not be reached),
 * 2 when the command line itself is wrong.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The server (or the network) refused the request; the message is one line for stderr. */
export class RequestFailedError extends Error {
  constructor(
    message: string,
    /** HTTP status when a server answered; absent for network failures. */
    readonly status?: number,
  ) {
    super(oneLine(message));
  }
}

/** The command line is wrong or incomplete (missing --username on a pipe, a bad flag value). */
export class UsageError extends Error {
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** Collapses whitespace so a multi-line server message still prints as one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
