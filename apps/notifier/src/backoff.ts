/**
 * How long to wait after the `failedAttempts`-th failure in a row: base doubled each time, capped at
 * max, with "equal jitter" (half fixed, half random) so that receivers coming back are not hit by every
 * subscription at the same instant, yet no wait is shorter than half its step.
 */
export function retryDelayMs(
  failedAttempts: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failedAttempts - 1, 0), 40));
  return Math.round(step / 2 + random() * (step / 2));
}
