/** How a retry loop waits: exponential from `baseMs`, capped at `maxMs`, with jitter. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** the share of each delay that is random, 0..1 (default 0.5: a delay lies in [d/2, d]) */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): min(max, base * 2^attempt), of
 * which the `jitter` share is random, so that many clients failing together do not retry in step.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 0), 40);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jitter = Math.min(Math.max(policy.jitter ?? 0.5, 0), 1);
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * random());
}

/** A retry loop's state: each `next()` is the delay before the next try; `reset()` after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** failures since the last reset */
  get attempt(): number {
    return this.failures;
  }

  next(): number {
    return backoffDelay(this.failures++, this.policy, this.random);
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
