import { KeyObject, sign } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { WorkerThread } from '@keymint/threads';

export type GroupedAlgorithm = 'ES256' | 'EdDSA';

/** The worker's code, run with `eval` so that it needs no separate file (the same source works from dist/ and under Jest). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { sign } = require('node:crypto');
parentPort.on('message', (group) => {
  try {
    const key = group.key;
    const signatures = group.inputs.map((input) =>
      group.algorithm === 'EdDSA' ? sign(null, input, key) : sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }));
    parentPort.postMessage({ id: group.id, signatures });
  } catch (error) {
    parentPort.postMessage({ id: group.id, error: error.message });
  }
});
`;

interface Waiting {
  input: Buffer;
  resolve: (signature: Buffer) => void;
  reject: (error: Error) => void;
}

interface Group {
  algorithm: GroupedAlgorithm;
  key: KeyObject;
  waiting: Waiting[];
}

interface Signed {
  id: number;
  signatures?: Uint8Array[];
  error?: string;
}

/**
 * ES256 and EdDSA signatures, computed on one worker thread a group at a
 * time: the requests of one turn of the event loop go over in one message and
 * come back in one. A signature (~30-36 µs) is too small to send to another
 * thread alone (through libuv's pool, each trip cost the machine more CPU than
 * the signature), but a group pays one trip for all, and the event loop, the
 * token service's bottleneck, no longer computes them (docs/performance.md).
 * Should the worker die, signatures are computed inline from then on.
 */
export class SigningWorker {
  private readonly logger = new Logger('SigningWorker');
  private readonly thread = new WorkerThread<Signed>({
    script: WORKER_SOURCE,
    worker: { eval: true },
    onFailure: (reason) => this.logger.warn(`signing worker stopped (${reason}); signing on the request thread from now on`),
  });
  private pending = new Map<KeyObject, Group>();
  private flushScheduled = false;

  sign(algorithm: GroupedAlgorithm, key: KeyObject, input: Buffer): Promise<Buffer> {
    if (this.thread.ended) return Promise.resolve(signInline(algorithm, key, input));
    return new Promise((resolve, reject) => {
      let group = this.pending.get(key);
      if (!group) {
        group = { algorithm, key, waiting: [] };
        this.pending.set(key, group);
      }
      group.waiting.push({ input, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const groups = [...this.pending.values()];
    this.pending = new Map();
    for (const group of groups) {
      if (this.thread.ended) {
        settleInline(group);
        continue;
      }
      // A KeyObject crosses as a handle to the same native key, not as key material to parse again.
      // Nothing waits forever: what the worker does not answer (it stopped) is signed here.
      this.thread.send((id) => ({ id, algorithm: group.algorithm, key: group.key, inputs: group.waiting.map((item) => item.input) }), {
        answered: (answer) => settleSigned(group, answer),
        lost: () => settleInline(group),
      });
    }
  }

  /** Ends the worker; signatures still waiting, and later ones, are computed inline. */
  async stop(): Promise<void> {
    await this.thread.stop();
  }
}

function settleSigned(group: Group, answer: Signed): void {
  group.waiting.forEach((item, index) => {
    const signature = answer.signatures?.[index];
    if (signature) item.resolve(Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength));
    else item.reject(new Error(`signing failed: ${answer.error ?? 'no signature'}`));
  });
}

function signInline(algorithm: GroupedAlgorithm, key: KeyObject, input: Buffer): Buffer {
  return algorithm === 'EdDSA' ? sign(null, input, key) : sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
}

function settleInline(group: Group): void {
  for (const item of group.waiting) {
    try {
      item.resolve(signInline(group.algorithm, group.key, item.input));
    } catch (error) {
      item.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
