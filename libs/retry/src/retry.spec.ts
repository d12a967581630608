import { Backoff, backoffDelay } from './backoff';
import { ThrottledLog } from './throttled-log';

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 5_000 };

  it('doubles from the base and stops at the cap', () => {
    const top = (attempt: number) => backoffDelay(attempt, { ...policy, jitter: 0 });
    expect([0, 1, 2, 3, 6, 7, 100].map(top)).toEqual([100, 200, 400, 800, 5_000, 5_000, 5_000]);
  });

  it('keeps each delay within its jitter band', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(400);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    for (let i = 0; i < 1_000; i++) {
      const d = backoffDelay(i % 12, policy);
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(5_000);
    }
  });

  it('counts failures until reset', () => {
    const backoff = new Backoff({ ...policy, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400]);
    expect(backoff.attempt).toBe(3);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});

describe('ThrottledLog', () => {
  it('writes one line per period per cause, with the count it stands for', () => {
    let now = 0;
    const lines: { msg: unknown; fields: Record<string, unknown> }[] = [];
    const log = new ThrottledLog(
      { warn: (msg, fields) => lines.push({ msg, fields: fields as Record<string, unknown> }) },
      10_000,
      () => now,
    );
    for (now = 0; now < 30_000; now += 10) log.warn('apply', 'apply failed', { error: 'x' });
    log.warn('other', 'other failed');
    expect(lines.filter((l) => l.fields.cause === 'apply').map((l) => l.fields.repeated)).toEqual([
      1, 1000, 1000,
    ]);
    expect(lines.filter((l) => l.fields.cause === 'other')).toHaveLength(1);
  });
});
