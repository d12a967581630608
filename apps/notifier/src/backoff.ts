import { backoffDelay } from '@app/retry';

/**
 * How long a subscription waits after its `failedAttempts`-th failed send in a row: base doubled
 * each time, capped at max, half of it random ("equal jitter"), so that receivers coming back are not
 * hit by every subscription at the same instant, yet no wait is shorter than half its step. The
 * count lives in Redis (the delivery state), so this is the schedule, not a Backoff object.
 */
export function retryDelayMs(
  failedAttempts: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return backoffDelay(failedAttempts - 1, { baseMs, maxMs, jitter: 0.5 }, random);
}
