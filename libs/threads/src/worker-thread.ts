import { Transferable, Worker, WorkerOptions } from 'node:worker_threads';

export interface WorkerThreadOptions<Message> {
  /** The thread's code: a file, or source text when `worker.eval` is set (no separate file, the same from dist/ and under Jest). */
  script: string;
  worker?: WorkerOptions;
  /** Every message that answers no waiting request (reports the thread sends by itself, late answers). */
  onMessage?: (message: Message) => void;
  /** The thread ended by itself (an error it threw, or its exit), not by stop(); called once, before the waiting requests fail. */
  onFailure?: (reason: string) => void;
}

/** Why a request got no answer: the thread ended (`reason` says how), or it did not answer in time. */
export class WorkerRequestError extends Error {
  constructor(
    readonly kind: 'ended' | 'timeout',
    readonly reason: string,
  ) {
    super(kind === 'ended' ? `the thread stopped (${reason})` : reason);
  }
}

/** Who waits for an answer: exactly one of the two is called, once. */
export interface AnswerHandler<Message> {
  answered(message: Message): void;
  /** With a WorkerRequestError when the thread ended or did not answer in time, else with what postMessage threw. */
  lost(error: Error): void;
}

interface Waiting<Message> {
  handler: AnswerHandler<Message>;
  timer?: NodeJS.Timeout;
}

/**
 * One helper thread of a service and its lifecycle: started on first use (or
 * by start()), requests answered by the message that carries their id, what
 * still waits failed when the thread ends, terminated (or told to finish) on
 * stop(). A thread that ends is not restarted: its owner carries on without it
 * (`ended`). It never keeps the process alive.
 */
export class WorkerThread<Message extends { id?: number }> {
  private worker?: Worker;
  private exited?: Promise<void>;
  private stopping = false;
  private endedBy?: string;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting<Message>>();

  constructor(private readonly options: WorkerThreadOptions<Message>) {}

  /** True once the thread failed or stop() was called: requests are answered elsewhere from then on. */
  get ended(): boolean {
    return this.stopping || this.endedBy !== undefined;
  }

  start(): void {
    if (this.worker || this.ended) return;
    const worker = new Worker(this.options.script, this.options.worker);
    worker.on('message', (message: Message) => this.receive(message));
    worker.once('error', (error) => this.end(error.message));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.end(`exit code ${code}`);
        resolve();
      }),
    );
    // The service must not stay up only because this thread does.
    worker.unref();
    this.worker = worker;
  }

  /**
   * Posts the message `build` makes for a fresh id; resolves with the message
   * the thread answers with that id. Rejects with a WorkerRequestError when the
   * thread ends first or, given `timeoutMs`, does not answer within it.
   */
  request(build: (id: number) => unknown, timeoutMs?: number, transfer?: readonly Transferable[]): Promise<Message> {
    return new Promise((resolve, reject) => this.send(build, { answered: resolve, lost: reject }, timeoutMs, transfer));
  }

  /** request() without a promise, for hot paths: the handler hears of the answer in the same turn it arrives. */
  send(build: (id: number) => unknown, handler: AnswerHandler<Message>, timeoutMs?: number, transfer?: readonly Transferable[]): void {
    this.start();
    if (this.ended) {
      handler.lost(new WorkerRequestError('ended', this.endedBy ?? 'stopped'));
      return;
    }
    const id = this.nextId++;
    const waiting: Waiting<Message> = { handler };
    if (timeoutMs !== undefined) {
      waiting.timer = setTimeout(() => this.fail(id, new WorkerRequestError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
    }
    this.waiting.set(id, waiting);
    try {
      this.worker!.postMessage(build(id), transfer);
    } catch (error) {
      this.fail(id, error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Ends the thread: `farewell`, when given, is posted for the thread to finish
   * by itself (and waited for); else it is terminated. What still waits fails.
   */
  async stop(farewell?: unknown): Promise<void> {
    this.stopping = true;
    if (!this.worker) return;
    if (farewell === undefined) await this.worker.terminate();
    else if (this.endedBy === undefined) this.worker.postMessage(farewell);
    await this.exited;
  }

  private receive(message: Message): void {
    const waiting = message.id === undefined ? undefined : this.waiting.get(message.id);
    if (!waiting) {
      this.options.onMessage?.(message);
      return;
    }
    this.waiting.delete(message.id!);
    if (waiting.timer) clearTimeout(waiting.timer);
    waiting.handler.answered(message);
  }

  private end(reason: string): void {
    if (this.endedBy !== undefined) return;
    this.endedBy = reason;
    if (!this.stopping) this.options.onFailure?.(reason);
    for (const id of [...this.waiting.keys()]) this.fail(id, new WorkerRequestError('ended', reason));
  }

  private fail(id: number, error: Error): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    if (waiting.timer) clearTimeout(waiting.timer);
    waiting.handler.lost(error);
  }
}
