import { WorkerRequestError, WorkerThread } from './worker-thread';

interface Answer {
  id?: number;
  value?: number;
  report?: string;
}

/** A thread that doubles `value`, stays silent for `silent`, exits for `exit`, and finishes on 'bye'. */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.postMessage({ report: 'started' });
parentPort.on('message', (message) => {
  if (message === 'bye') return parentPort.close();
  if (message.exit !== undefined) process.exit(message.exit);
  if (message.silent) return;
  parentPort.postMessage({ id: message.id, value: message.value * 2 });
});
`;

describe('WorkerThread', () => {
  const threads: Array<WorkerThread<Answer>> = [];
  const failures: string[] = [];
  const reports: Answer[] = [];
  const thread = () => {
    const created = new WorkerThread<Answer>({
      script: SOURCE,
      worker: { eval: true },
      onMessage: (message) => reports.push(message),
      onFailure: (reason) => failures.push(reason),
    });
    threads.push(created);
    return created;
  };
  // The threads are unref'd: this keeps Jest's process busy while a test waits on one.
  let keepAlive: NodeJS.Timeout;
  beforeEach(() => {
    failures.length = 0;
    reports.length = 0;
    keepAlive = setInterval(() => undefined, 1000);
  });
  afterEach(async () => {
    clearInterval(keepAlive);
    await Promise.all(threads.splice(0).map((created) => created.stop()));
  });

  it('starts on the first request and answers each request with the message that carries its id', async () => {
    const worker = thread();
    const answers = await Promise.all([1, 2, 3].map((value) => worker.request((id) => ({ id, value }))));
    expect(answers.map((answer) => answer.value)).toEqual([2, 4, 6]);
    expect(reports).toEqual([{ report: 'started' }]);
    expect(worker.ended).toBe(false);
  });

  it('hands an answer to the handler of send() (no promise), and a loss once the thread ended', async () => {
    const worker = thread();
    const answer = await new Promise<Answer>((answered, lost) => worker.send((id) => ({ id, value: 21 }), { answered, lost }));
    expect(answer.value).toBe(42);
    await worker.stop();
    const outcome = await new Promise<Answer | Error>((settle) => worker.send((id) => ({ id, value: 1 }), { answered: settle, lost: settle }));
    expect(outcome).toBeInstanceOf(WorkerRequestError);
  });

  it('fails a request that gets no answer in time, and keeps the thread', async () => {
    const worker = thread();
    const silent = worker.request((id) => ({ id, silent: true }), 100);
    await expect(silent).rejects.toEqual(new WorkerRequestError('timeout', 'no answer within 100 ms'));
    expect((await worker.request((id) => ({ id, value: 5 }))).value).toBe(10);
  });

  it('reports a thread that ends by itself once, fails what waits, and refuses later requests', async () => {
    const worker = thread();
    const waiting = worker.request((id) => ({ id, silent: true }));
    void worker.request((id) => ({ id, exit: 3 })).catch(() => undefined);
    await expect(waiting).rejects.toMatchObject({ kind: 'ended', reason: 'exit code 3', message: 'the thread stopped (exit code 3)' });
    expect(failures).toEqual(['exit code 3']);
    expect(worker.ended).toBe(true);
    await expect(worker.request((id) => ({ id, value: 1 }))).rejects.toMatchObject({ kind: 'ended', reason: 'exit code 3' });
  });

  it('stops without reporting a failure: terminated, or told to finish by itself', async () => {
    const terminated = thread();
    const waiting = terminated.request((id) => ({ id, silent: true }));
    await terminated.stop();
    await expect(waiting).rejects.toMatchObject({ kind: 'ended' });
    const finished = thread();
    await finished.request((id) => ({ id, value: 1 }));
    await finished.stop('bye');
    expect(failures).toEqual([]);
    expect(terminated.ended && finished.ended).toBe(true);
  });

  it('stops a thread that never started', async () => {
    const idle = thread();
    await idle.stop();
    expect(idle.ended).toBe(true);
    await expect(idle.request((id) => ({ id, value: 1 }))).rejects.toBeInstanceOf(WorkerRequestError);
  });
});
