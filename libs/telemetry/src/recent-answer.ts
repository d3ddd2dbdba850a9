/**
 * `ask`, asked at most once per `reuseMs`: callers in that time (and while it is under way) share its answer.
 * For what anyone may trigger without credentials (readiness probes, scrapes): a flood of them costs one database
 * ping or one JetStream question per period, not one each, and cannot crowd the pool or the bus out of real work.
 */
export function recentAnswer<T>(ask: () => Promise<T>, reuseMs: number, now: () => number = Date.now): () => Promise<T> {
  let last: { answer: Promise<T>; askedAt: number } | undefined;
  return () => {
    if (last && now() - last.askedAt < reuseMs) return last.answer;
    const answer = ask();
    last = { answer, askedAt: now() };
    return answer;
  };
}
