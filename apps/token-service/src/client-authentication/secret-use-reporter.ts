import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, TokenServiceConfig } from '@keymint/config';
import { MAX_SECRET_USES_PER_REPORT, RPC_SUBJECTS } from '@keymint/contracts';
import { RpcClient } from '@keymint/messaging';

/**
 * The consumer secrets' lastUsedAt without a write per token request: which secrets authenticated is kept
 * in memory and reported to the registry every SECRET_USE_REPORT_INTERVAL seconds, in batches stamped with
 * the report's time (docs/registry.md, "Consumer secrets"). Best effort: a batch the registry does not take
 * is dropped, not sent again; the next use reports the secret anew.
 */
@Injectable()
export class SecretUseReporter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SecretUseReporter.name);
  private used = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly intervalMs: number;

  constructor(
    @Inject(CONFIG) config: TokenServiceConfig,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {
    this.intervalMs = config.SECRET_USE_REPORT_INTERVAL * 1000;
  }

  /** On the hot path: one Set insertion. */
  record(secretId: string): void {
    this.used.add(secretId);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.report(), this.intervalMs);
    this.timer.unref();
  }

  // Uses since the last report are not sent at shutdown: a stopping replica must not wait for the registry.
  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async report(usedAt = Date.now()): Promise<void> {
    if (this.used.size === 0) return;
    const secretIds = [...this.used];
    this.used = new Set();
    for (let start = 0; start < secretIds.length; start += MAX_SECRET_USES_PER_REPORT) {
      try {
        await this.rpc.request(RPC_SUBJECTS.reportSecretUse, { secretIds: secretIds.slice(start, start + MAX_SECRET_USES_PER_REPORT), usedAt });
      } catch (error) {
        this.logger.warn(`could not report consumer secrets' last use (dropped): ${(error as Error).message}`);
      }
    }
  }
}
