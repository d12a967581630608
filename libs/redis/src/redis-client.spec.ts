import { reconnectDelay, REDIS_RECONNECT } from './redis-client';

describe('the Redis reconnect delay', () => {
  it('doubles from the base with the first attempt and stops at the cap', () => {
    const top = (attempt: number) => reconnectDelay(attempt, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50, 10_000].map(top)).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000,
    ]);
  });

  it('is jittered: many clients failing together do not reconnect in step', () => {
    expect(reconnectDelay(4, () => 0)).toBe(400);
    const delays = new Set(Array.from({ length: 200 }, () => reconnectDelay(20)));
    expect(delays.size).toBeGreaterThan(50);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(REDIS_RECONNECT.maxMs / 2);
      expect(d).toBeLessThanOrEqual(REDIS_RECONNECT.maxMs);
    }
  });

  it('is always a number, so the client never gives up reconnecting', () => {
    for (let attempt = 0; attempt < 100; attempt++)
      expect(Number.isFinite(reconnectDelay(attempt))).toBe(true);
  });
});
