import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles the wait after each failure in a row', () => {
    const fixed = () => 1;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1_000, 60_000, fixed))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('never waits longer than the cap, however many failures', () => {
    expect(retryDelayMs(500, 1_000, 60_000, () => 1)).toBe(60_000);
  });

  it('keeps at least half of each step when jittering', () => {
    expect(retryDelayMs(3, 1_000, 60_000, () => 0)).toBe(2_000);
    expect(retryDelayMs(3, 1_000, 60_000, () => 0.5)).toBe(3_000);
  });
});
