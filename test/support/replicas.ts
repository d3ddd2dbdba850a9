import { http, HttpResult } from './http';

/**
 * The client retry policy of docs/operations.md ("Clients of replicas"): requests go to the replicas in turn
 * (round robin); one that fails with a connection error (refused, reset, closed before an answer) or a 503 is
 * sent once more, at once, to the next replica. A second failure is the caller's to see.
 */
export class ReplicaClient {
  private turn = 0;

  constructor(private readonly baseUrls: string[]) {}

  async request(path: string, options: Parameters<typeof http>[1] = {}): Promise<ReplicaAnswer> {
    const first = this.turn++ % this.baseUrls.length;
    const started = Date.now();
    let answer = await attempt(`${this.baseUrls[first]}${path}`, options);
    let retried: string | undefined;
    if (isRetryable(answer)) {
      retried = describeFailure(answer);
      answer = await attempt(`${this.baseUrls[(first + 1) % this.baseUrls.length]}${path}`, options);
    }
    return { ...answer, retried, ms: Date.now() - started };
  }
}

export interface ReplicaAnswer {
  response?: HttpResult;
  /** The connection error's code when no answer came. */
  error?: string;
  /** Why the first attempt was retried on the next replica, when it was. */
  retried?: string;
  /** Both attempts, in milliseconds. */
  ms: number;
}

async function attempt(url: string, options: Parameters<typeof http>[1]): Promise<{ response?: HttpResult; error?: string }> {
  try {
    return { response: await http(url, options) };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

function isRetryable(answer: { response?: HttpResult; error?: string }): boolean {
  return answer.error !== undefined || answer.response?.status === 503;
}

export function describeFailure(answer: { response?: HttpResult; error?: string }): string {
  return answer.error ?? `HTTP ${answer.response!.status} ${answer.response!.body.slice(0, 100)}`;
}
