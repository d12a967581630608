import { addEndPoint, lagAge, type EndPoint } from './end-history';

/** A log end that grows by `rate` messages per second, sampled every `everyMs` from t = 0. */
function steady(rate: number, everyMs: number, samples: number, maxPoints = 1_000): EndPoint[] {
  let history: EndPoint[] = [];
  for (let i = 0; i < samples; i++) {
    const at = i * everyMs;
    history = addEndPoint(history, [at, Math.floor((at / 1000) * rate)], maxPoints);
  }
  return history;
}

describe('the log-end history', () => {
  it('keeps only the first and last point of a run where the log end did not move', () => {
    let history: EndPoint[] = [];
    for (const point of [
      [0, 5],
      [10, 7],
      [20, 7],
      [30, 7],
      [40, 7],
      [50, 9],
    ] as EndPoint[])
      history = addEndPoint(history, point, 100);
    expect(history).toEqual([
      [0, 5],
      [10, 7],
      [40, 7],
      [50, 9],
    ]);
  });

  it('starts afresh when the log end goes backwards, as when the topic is re-created', () => {
    const history = addEndPoint(
      [
        [0, 100],
        [10, 200],
      ],
      [20, 3],
      100,
    );
    expect(history).toEqual([[20, 3]]);
  });

  it('stays within its size by dropping the points that matter least to the interpolation', () => {
    // steady traffic, then a burst: the straight run collapses, the bend survives
    let history = steady(10, 1_000, 50, 6);
    history = addEndPoint(history, [50_000, 10_000], 6);
    expect(history.length).toBe(6);
    expect(history[0]).toEqual([0, 0]);
    expect(history).toContainEqual([49_000, 490]);
    expect(history[history.length - 1]).toEqual([50_000, 10_000]);
  });
});

describe('the age of a committed offset', () => {
  const history: EndPoint[] = [
    [0, 0],
    [10_000, 100],
    [20_000, 300],
    [30_000, 300],
    [40_000, 400],
  ];

  it('is zero when the group has consumed up to the log end', () => {
    expect(lagAge(history, 400, 40_000)).toEqual({ lagSeconds: 0, method: 'caught-up' });
    expect(lagAge(history, 450, 40_000).lagSeconds).toBe(0);
  });

  it('is interpolated between the two samples around the moment the log end passed the offset', () => {
    // message 49 was appended when the end reached 50: half way from 0 s to 10 s
    expect(lagAge(history, 49, 40_000)).toEqual({ lagSeconds: 35, method: 'interpolated' });
    // message 199: the end reached 200 half way from 10 s to 20 s
    expect(lagAge(history, 199, 40_000).lagSeconds).toBe(25);
  });

  it('reads a flat run right: the message after it was appended after the run ended', () => {
    // end stayed at 300 from 20 s to 30 s; message 300 came after 30 s (end 301 at 30.1 s)
    expect(lagAge(history, 300, 40_000).lagSeconds).toBeCloseTo(9.9, 5);
  });

  it('extrapolates at the average rate when the offset is older than the whole history', () => {
    const recent: EndPoint[] = [
      [100_000, 1_000],
      [110_000, 1_100],
    ];
    // 10 messages per second; message 899 (end 900) was appended 10 s before the oldest sample
    expect(lagAge(recent, 899, 110_000)).toEqual({ lagSeconds: 20, method: 'extrapolated' });
  });

  it('gives the age of the oldest sample as a lower bound when no rate is known', () => {
    expect(lagAge([[5_000, 70]], 10, 5_000)).toEqual({ lagSeconds: 0, method: 'lower-bound' });
    expect(
      lagAge(
        [
          [5_000, 70],
          [9_000, 70],
        ],
        10,
        9_000,
      ),
    ).toEqual({ lagSeconds: 4, method: 'lower-bound' });
  });

  it('stays within 20 % of the true age under steady traffic sampled every 10 s, once the history is bounded', () => {
    // 37 messages per second for an hour, sampled every 10 s, kept in 60 points
    const history = steady(37, 10_000, 361, 60);
    expect(history.length).toBeLessThanOrEqual(60);
    const now = 3_600_000;
    for (const ageS of [15, 60, 600, 3_000]) {
      const committed = Math.floor(((now - ageS * 1000) / 1000) * 37);
      const { lagSeconds } = lagAge(history, committed, now);
      expect(Math.abs(lagSeconds - ageS) / ageS).toBeLessThan(0.2);
    }
  });
});
