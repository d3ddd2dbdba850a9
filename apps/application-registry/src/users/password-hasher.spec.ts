import * as crypto from 'node:crypto';
import { HashingGate, needsRehash, PasswordHasher, PasswordHashingBusy } from './password-hasher';

/** As the registry makes it with the default RPC_TIMEOUT_MS. */
const passwords = new PasswordHasher(3000);

/** A hash as the release before stored it: scrypt N=2^14, r=8, p=1. */
function olderHash(password: string): string {
  const salt = crypto.randomBytes(16);
  const key = crypto.scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('password hashing (scrypt)', () => {
  it('stores a salted scrypt hash at OWASP\'s minimum (N=2^17, r=8, p=1) that verifies only the right password', async () => {
    const first = await passwords.hash('correct horse');
    const second = await passwords.hash('correct horse');
    expect(first).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('correct horse');
    await expect(passwords.verify('correct horse', first)).resolves.toBe(true);
    await expect(passwords.verify('correct horsE', first)).resolves.toBe(false);
    expect(needsRehash(first)).toBe(false);
  });

  it('still verifies a hash made with the older parameters, and says it needs storing again', async () => {
    const older = olderHash('correct horse');
    await expect(passwords.verify('correct horse', older)).resolves.toBe(true);
    await expect(passwords.verify('correct horsE', older)).resolves.toBe(false);
    expect(needsRehash(older)).toBe(true);
  });

  it('never matches a malformed stored hash, nor one whose parameters would ask for gigabytes', async () => {
    await expect(passwords.verify('x', 'plain-text')).resolves.toBe(false);
    await expect(passwords.verify('x', 'scrypt$0$8$1$abc$def')).resolves.toBe(false);
    await expect(passwords.verify('x', 'scrypt$1073741824$8$1$abc$def')).resolves.toBe(false);
    expect(needsRehash('plain-text')).toBe(false);
  });
});

describe('HashingGate', () => {
  it('runs at most K at once with a queue of Q behind them, and refuses the rest at once with 503 and Retry-After', async () => {
    const gate = new HashingGate(2, 3, 60_000);
    let running = 0;
    let most = 0;
    const finishers: Array<() => void> = [];
    const task = () =>
      new Promise<string>((resolve) => {
        running += 1;
        most = Math.max(most, running);
        finishers.push(() => {
          running -= 1;
          resolve('done');
        });
      });
    const outcomes = Array.from({ length: 10 }, () => gate.run(task).then((value) => value, (error: unknown) => error));
    // The five beyond K + Q are refused before anything finishes.
    const refused = await Promise.all(outcomes.slice(5));
    for (const error of refused) {
      expect(error).toBeInstanceOf(PasswordHashingBusy);
      expect((error as PasswordHashingBusy).getStatus()).toBe(503);
      expect((error as PasswordHashingBusy).headers).toEqual({ 'Retry-After': '1' });
      expect((error as PasswordHashingBusy).getResponse()).toEqual({ code: 503, message: 'Service Unavailable', description: expect.any(String) });
    }
    expect(running).toBe(2);
    // Each one finishing lets a queued one start; never more than K run.
    while (finishers.length > 0) {
      finishers.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(outcomes.slice(0, 5))).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(most).toBe(2);
    // Free again: the next one runs.
    const after = gate.run(async () => 'again');
    await expect(after).resolves.toBe('again');
  });
  it('refuses a queued check that waited maxWaitMs for a place (a slow machine does not stretch answers by the queue), and frees its place', async () => {
    const gate = new HashingGate(1, 2, 50);
    const finishers: Array<() => void> = [];
    const task = () => new Promise<string>((resolve) => finishers.push(() => resolve('done')));
    const started = Date.now();
    const running = gate.run(task);
    const queued = [gate.run(task), gate.run(task)].map((outcome) => outcome.then((value) => value, (error: unknown) => error));
    // Nothing finishes: both queued checks are refused once their wait is up, not later.
    for (const error of await Promise.all(queued)) expect(error).toBeInstanceOf(PasswordHashingBusy);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(finishers).toHaveLength(1);
    // Their places are free again: a new check queues, and gets the running one's slot when it finishes.
    const next = gate.run(task);
    finishers.shift()!();
    await expect(running).resolves.toBe('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(finishers).toHaveLength(1);
    finishers.shift()!();
    await expect(next).resolves.toBe('done');
    await expect(gate.run(async () => 'again')).resolves.toBe('again');
  });
});

describe('a flood of wrong passwords', () => {
  afterEach(() => jest.restoreAllMocks());

  it('never has more than K scrypt computations in flight, for known and unknown users alike; the rest are refused', async () => {
    const stored = olderHash('the right one');
    let inFlight = 0;
    let most = 0;
    let computed = 0;
    // scrypt as the attacker's flood sees it, minus the CPU: each takes 20 ms and is counted while it runs.
    // (The module object itself: `import * as` gives a copy that the hasher does not call through.)
    jest.spyOn(jest.requireActual<typeof crypto>('node:crypto'), 'scrypt').mockImplementation(((...args: unknown[]) => {
      const keyLength = args[2] as number;
      const callback = args[args.length - 1] as (error: Error | null, key: Buffer) => void;
      inFlight += 1;
      computed += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        callback(null, Buffer.alloc(keyLength));
      }, 20);
    }) as unknown as typeof crypto.scrypt);

    const flood = Array.from({ length: 60 }, (_, index) =>
      (index % 2 === 0 ? passwords.verify(`guess-${index}`, stored) : passwords.verifyAgainstDummy(`guess-${index}`)).then(
        (matched) => ({ matched }),
        (error: unknown) => ({ refused: error instanceof PasswordHashingBusy }),
      ),
    );
    const outcomes = await Promise.all(flood);
    expect(most).toBeLessThanOrEqual(passwords.gate.maxRunning);
    expect(computed).toBe(passwords.gate.maxRunning + passwords.gate.maxWaiting);
    expect(outcomes.filter((outcome) => 'refused' in outcome && outcome.refused)).toHaveLength(60 - computed);
    expect(outcomes.filter((outcome) => 'matched' in outcome && outcome.matched === false)).toHaveLength(computed);
  });
});
