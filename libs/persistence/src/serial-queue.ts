/**
 * Runs async jobs one after another. TypeORM keeps a single connection to a
 * SQLite file, so two transactions started at once would interleave on it;
 * every SQLite write goes through one of these.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
