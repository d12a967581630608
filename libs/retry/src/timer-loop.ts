import { Backoff, type BackoffPolicy } from './backoff';
import type { ThrottledLog } from './throttled-log';

export interface TimerLoopOptions {
  /** One run; resolves to the delay before the next run, in ms. */
  run(): Promise<number>;
  /** The wait after a run that threw: grows with each failure in a row, back to the base after a success. */
  backoff: BackoffPolicy;
  /** Where a failing run is logged, at most once per period per cause, with the count. */
  log: ThrottledLog;
  /** The cause and message a failure is logged under. */
  cause: string;
  message: string;
  /** Called with each failure, after it is logged (a metric, say). */
  onFailure?(error: unknown): void;
}

/** How a loop waits between runs; setTimeout unless a test says otherwise. */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A self-rescheduling timer loop: runs, waits what the run returned, runs again; runs never overlap.
 * A run that throws (or returns a bad delay) is logged through the ThrottledLog and followed by its
 * backoff, exponential, capped and jittered, so a failing body can neither spin nor flood the log; the
 * first success resets the backoff, and the next failure is logged at once.
 */
export class TimerLoop {
  private readonly backoff: Backoff;
  private handle: unknown;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly options: TimerLoopOptions,
    private readonly timers: Timers = realTimers,
    random: () => number = Math.random,
  ) {
    this.backoff = new Backoff(options.backoff, random);
  }

  /** Failed runs since the last success. */
  get failures(): number {
    return this.backoff.attempt;
  }

  /** Runs first after `delayMs`. */
  start(delayMs = 0): void {
    this.stopped = false;
    this.schedule(delayMs);
  }

  /** Schedules nothing more and waits for the run in hand, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clear(this.handle);
    await this.current;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.handle = this.timers.set(() => {
      this.current = this.once().then((next) => this.schedule(next));
    }, delayMs);
  }

  /** One run; never rejects: resolves to the delay before the next. */
  private async once(): Promise<number> {
    const { log, cause } = this.options;
    try {
      const next = await this.options.run();
      if (!Number.isFinite(next) || next < 0)
        throw new Error(`the loop body asked for a delay of ${next} ms`);
      if (this.backoff.attempt > 0) log.clear(cause);
      this.backoff.reset();
      return next;
    } catch (error) {
      const attempt = this.backoff.attempt + 1;
      const retryInMs = this.backoff.next();
      log.warn(cause, this.options.message, {
        error: error instanceof Error ? error.message : String(error),
        attempt,
        retryInMs,
      });
      try {
        this.options.onFailure?.(error);
      } catch {
        // a metric that throws must not stop the loop
      }
      return retryInMs;
    }
  }
}
