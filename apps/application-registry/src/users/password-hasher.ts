import { availableParallelism } from 'node:os';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { errorBody, HttpErrorWithHeaders } from '@keymint/http-kit';

/**
 * scrypt at OWASP's minimum for password storage (Password Storage Cheat Sheet): N=2^17, r=8, p=1, which is
 * 128 MiB of memory per hash while it runs. The parameters are stored with each hash: an older hash still
 * verifies with its own, and `needsRehash` tells the caller to store the password again at these.
 */
const COST = 2 ** 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
/** Beyond these a stored hash is corrupt, not strong: it would ask for gigabytes (and never matches). */
const MAX_COST = 2 ** 20;
const MAX_BLOCK_SIZE = 32;
const MAX_PARALLELISM = 16;

/** libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE says otherwise) runs every scrypt, and file and DNS work too. */
const LIBUV_THREADS = 4;

/** A password check refused because too many are in progress: 503 with Retry-After, or `busy` over RPC. */
export class PasswordHashingBusy extends HttpErrorWithHeaders {
  constructor() {
    super(errorBody('wso2', 503, 'Too many password checks are in progress; try again in a moment.'), 503, { 'Retry-After': '1' });
  }
}

/**
 * At most `maxRunning` computations at once and `maxWaiting` queued behind them, each queued one for at most
 * `maxWaitMs`; one more, or one that waited that long, is refused (PasswordHashingBusy) instead of queueing
 * without bound: a flood of guesses gets quick 503s while the machine keeps serving everything else, instead of
 * every request (and the token service's RPCs) timing out. The wait is bounded in time as well as in places
 * because a check's duration is not fixed: on a machine busy with other work one took seconds, and three rounds
 * of those outlasted the callers' timeouts.
 */
export class HashingGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
    readonly maxWaitMs: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.maxRunning) {
      this.running += 1;
    } else {
      if (this.waiting.length >= this.maxWaiting) throw new PasswordHashingBusy();
      // The finishing task hands its slot over: `running` stays as it is.
      await new Promise<void>((resolve, reject) => {
        const handOver = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(handOver), 1);
          reject(new PasswordHashingBusy());
        }, this.maxWaitMs);
        this.waiting.push(handOver);
      });
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

/** One scrypt per core, and never the whole threadpool (a thread stays for file and DNS work): at most 3 x 128 MiB at once. */
const MAX_CONCURRENT_HASHES = Math.max(1, Math.min(availableParallelism(), LIBUV_THREADS - 1));

interface Parameters {
  cost: number;
  blockSize: number;
  parallelism: number;
}

function parse(stored: string): (Parameters & { salt: Buffer; expected: Buffer }) | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [cost, blockSize, parallelism] = parts.slice(1, 4).map(Number);
  if (![cost, blockSize, parallelism].every((value) => Number.isInteger(value) && value > 0)) return null;
  if (cost > MAX_COST || blockSize > MAX_BLOCK_SIZE || parallelism > MAX_PARALLELISM) return null;
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length === 0) return null;
  return { cost, blockSize, parallelism, salt: Buffer.from(parts[4], 'base64url'), expected };
}

/** True for a hash made with weaker parameters than today's: store the password again once it is known to be right. */
export function needsRehash(stored: string): boolean {
  const hash = parse(stored);
  if (!hash) return false;
  return hash.cost < COST || hash.blockSize < BLOCK_SIZE || hash.parallelism < PARALLELISM || hash.expected.length < KEY_LENGTH;
}

/** A hash at today's parameters that no password matches (random bytes, not a derived key). */
const DUMMY_HASH = ['scrypt', COST, BLOCK_SIZE, PARALLELISM, randomBytes(16).toString('base64url'), randomBytes(KEY_LENGTH).toString('base64url')].join('$');

/**
 * Hashes and checks passwords: at most MAX_CONCURRENT_HASHES at once and twice as many waiting behind them (any
 * more are refused at once: PasswordHashingBusy). A waiting check gives up after `maxWaitMs`, the deployment's
 * RPC_TIMEOUT_MS: by then the token service or analytics that asked has answered its own client 503 and the check
 * would be wasted work, and a client of the registry's own Basic door is not kept waiting longer either.
 */
export class PasswordHasher {
  readonly gate: HashingGate;

  constructor(maxWaitMs: number) {
    this.gate = new HashingGate(MAX_CONCURRENT_HASHES, 2 * MAX_CONCURRENT_HASHES, maxWaitMs);
  }

  /** `scrypt$N$r$p$salt$hash` (base64url parts), with a fresh 16-byte salt. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.derive(password, salt, { cost: COST, blockSize: BLOCK_SIZE, parallelism: PARALLELISM }, KEY_LENGTH);
    return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** Constant-time check of a password against a stored hash, with the hash's own parameters; a malformed hash never matches. */
  async verify(password: string, stored: string): Promise<boolean> {
    const hash = parse(stored);
    if (!hash) return false;
    const actual = await this.derive(password, hash.salt, hash, hash.expected.length);
    return timingSafeEqual(actual, hash.expected);
  }

  /**
   * Spends the same scrypt work for an unknown user as for a known one (and takes a place in the gate like it),
   * so response times do not reveal which usernames exist.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(password, DUMMY_HASH);
    return false;
  }

  private derive(password: string, salt: Buffer, { cost, blockSize, parallelism }: Parameters, keyLength: number): Promise<Buffer> {
    return this.gate.run(
      () =>
        new Promise((resolve, reject) => {
          scrypt(password, salt, keyLength, { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize }, (error, key) =>
            error ? reject(error) : resolve(key),
          );
        }),
    );
  }
}
