import { ThrottledLog } from './throttled-log';
import { TimerLoop, type Timers } from './timer-loop';

/** Timers a test fires by hand: each `fire()` runs the one pending wait and lets the run settle. */
class HandTimers implements Timers {
  readonly waits: number[] = [];
  private pending?: () => void;

  set(callback: () => void, ms: number): unknown {
    this.waits.push(ms);
    this.pending = callback;
    return callback;
  }

  clear(handle: unknown): void {
    if (handle === this.pending) this.pending = undefined;
  }

  get armed(): boolean {
    return this.pending !== undefined;
  }

  async fire(): Promise<void> {
    const callback = this.pending;
    this.pending = undefined;
    callback?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function loopOf(run: () => Promise<number>, now = () => 0) {
  const lines: Record<string, unknown>[] = [];
  const log = new ThrottledLog(
    { warn: (msg, fields) => lines.push({ msg, ...(fields as object) }) },
    10_000,
    now,
  );
  const timers = new HandTimers();
  const failures: unknown[] = [];
  const loop = new TimerLoop(
    {
      run,
      backoff: { baseMs: 100, maxMs: 1_000, jitter: 0.5 },
      log,
      cause: 'round',
      message: 'round failed; retrying',
      onFailure: (e) => failures.push(e),
    },
    timers,
    () => 1, // the top of each jitter band
  );
  return { loop, timers, lines, failures };
}

describe('a timer loop', () => {
  it('waits what each run asks for', async () => {
    const delays = [50, 0, 250];
    const { loop, timers } = loopOf(async () => delays.shift() ?? 10);
    loop.start(5);
    for (let i = 0; i < 3; i++) await timers.fire();
    expect(timers.waits).toEqual([5, 50, 0, 250]);
  });

  it('backs off, doubling to its cap, while the run keeps throwing, and starts over after a success', async () => {
    let failing = true;
    const { loop, timers, failures } = loopOf(async () => {
      if (failing) throw new Error('Connection is closed.');
      return 10;
    });
    loop.start();
    for (let i = 0; i < 6; i++) await timers.fire();
    expect(timers.waits).toEqual([0, 100, 200, 400, 800, 1_000, 1_000]);
    expect(loop.failures).toBe(6);
    expect(failures).toHaveLength(6);
    failing = false;
    await timers.fire();
    failing = true;
    await timers.fire();
    expect(timers.waits.slice(-2)).toEqual([10, 100]);
  });

  it('never retries at once, even when the run fails synchronously', async () => {
    const { loop, timers } = loopOf(() => {
      throw new Error('boom');
    });
    loop.start();
    for (let i = 0; i < 20; i++) await timers.fire();
    expect(Math.min(...timers.waits.slice(1))).toBeGreaterThanOrEqual(50);
  });

  it('treats a bad delay from the run as a failure rather than spinning', async () => {
    const { loop, timers, lines } = loopOf(async () => NaN);
    loop.start();
    await timers.fire();
    expect(timers.waits).toEqual([0, 100]);
    expect(lines[0]).toMatchObject({ cause: 'round', error: expect.stringContaining('NaN') });
  });

  it('logs a failure at once, then once per period with the count, and at once again after a recovery', async () => {
    let now = 0;
    let failing = true;
    const { loop, timers, lines } = loopOf(
      async () => {
        if (failing) throw new Error('ECONNREFUSED');
        return 10;
      },
      () => now,
    );
    loop.start();
    for (let i = 0; i < 30; i++) {
      await timers.fire();
      now += 1_000;
    }
    expect(lines.map((l) => l.repeated)).toEqual([1, 10, 10]);
    expect(lines[0]).toMatchObject({
      msg: 'round failed; retrying',
      cause: 'round',
      error: 'ECONNREFUSED',
      attempt: 1,
      retryInMs: 100,
    });
    failing = false;
    await timers.fire();
    failing = true;
    await timers.fire();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ repeated: 1, attempt: 1 });
  });

  it('schedules nothing once stopped, and waits for the run in hand', async () => {
    let finish!: () => void;
    let finished = false;
    const { loop, timers } = loopOf(
      () =>
        new Promise<number>((resolve) => {
          finish = () => {
            finished = true;
            resolve(10);
          };
        }),
    );
    loop.start();
    await timers.fire();
    const stopped = loop.stop();
    finish();
    await stopped;
    expect(finished).toBe(true);
    expect(timers.armed).toBe(false);
    expect(timers.waits).toEqual([0]);
  });
});
