import { advanceWindow, type GroupSample, type GroupWindow, type WindowSettings } from './group-window';

const settings: WindowSettings = {
  windowSamples: 3,
  stopMs: 60_000,
  allowedLag: 10,
  allowedLagSeconds: 0,
  historyPoints: 100,
};

/**
 * Runs samples through the window, one every 10 s from t = 0; each sample: [end, committed] per
 * partition. `members`: the group's live members, the same at every sample or one per sample.
 */
function run(
  samples: [number, number | null][][],
  members: number | number[] = 1,
  start: GroupWindow | null = null,
) {
  let window = start;
  const results = samples.map((partitions, i) => {
    const sample: GroupSample = {
      group: 'g',
      atMs: (start ? start.sampledAtMs + 10_000 : 0) + i * 10_000,
      members: typeof members === 'number' ? members : members[i],
      partitions: partitions.map(([endOffset, committed], partition) => ({
        topic: 't',
        partition,
        committed,
        startOffset: 0,
        endOffset,
      })),
    };
    const advanced = advanceWindow(window, sample, settings);
    window = advanced.window;
    return advanced;
  });
  return { results, last: results[results.length - 1] };
}

describe('a group window advanced by samples', () => {
  it('reports lag per partition, summed for the group, and the largest lag in seconds', () => {
    const { last } = run([
      [
        [0, 0],
        [0, 0],
      ],
      [
        [100, 0],
        [10, 10],
      ],
      [
        [200, 100],
        [20, 20],
      ],
    ]);
    expect(last.lag).toEqual({
      group: 'g',
      status: 'WARN', // partition 0's lag never shrank and is above the allowed 10
      members: 1,
      lag: 100,
      lagSeconds: 9.9, // message 100 was appended when the end reached 101, at 10.1 s
      partitions: [
        {
          topic: 't',
          partition: 0,
          committed: 100,
          endOffset: 200,
          lag: 100,
          lagSeconds: 9.9,
          status: 'WARN',
        },
        { topic: 't', partition: 1, committed: 20, endOffset: 20, lag: 0, lagSeconds: 0, status: 'OK' },
      ],
    });
  });

  it('takes the worst partition for the group and keeps reporting a group with no live members, as STOP', () => {
    const { last } = run(
      [
        [
          [10, 5],
          [10, 10],
        ],
        [
          [20, 5],
          [20, 20],
        ],
        [
          [30, 5],
          [30, 30],
        ],
      ],
      0,
    );
    expect(last.lag.members).toBe(0);
    expect(last.lag.partitions.map((p) => p.status)).toEqual(['STOP', 'OK']);
    expect(last.lag.status).toBe('STOP');
  });

  it('is STOP at the first sample after the last member left a lagging group, and judged by the window again once one is back', () => {
    const samples: [number, number | null][][] = [[[10, 10]], [[20, 20]], [[30, 25]], [[40, 25]], [[50, 48]]];
    const { results } = run(samples, [1, 1, 0, 0, 1]);
    expect(results.map((r) => r.lag.status)).toEqual(['OK', 'OK', 'STOP', 'STOP', 'OK']);
    // the alert clock starts at the STOP, not minutes later
    expect(results.map((r) => r.window.notOkSinceMs)).toEqual([null, null, 20_000, 20_000, null]);
  });

  it('does not call a group with no members STOP while it has no lag', () => {
    const { results } = run([[[10, 10]], [[10, 10]]], 0);
    expect(results.map((r) => r.lag.status)).toEqual(['OK', 'OK']);
  });

  it('counts the lag of a partition with no committed offset from the log start', () => {
    const { last } = run([[[40, null]]]);
    expect(last.lag.partitions[0]).toMatchObject({ committed: null, lag: 40 });
  });

  it('reaches STOP once the committed offset has not moved for the stop time, and is OK as soon as it moves', () => {
    const stuck = Array.from({ length: 7 }, (_, i): [number, number | null][] => [[(i + 1) * 100, 50]]);
    const { results } = run([...stuck, [[800, 790]]]);
    const statuses = results.map((r) => r.lag.status);
    // progress last seen at 0 s; 60 s later (the 7th sample) it is STOP
    expect(statuses).toEqual(['OK', 'OK', 'STALL', 'STALL', 'STALL', 'STALL', 'STOP', 'OK']);
  });

  it('remembers since when the group has not been OK, and forgets it when OK again', () => {
    const { results } = run([[[10, 5]], [[20, 5]], [[30, 5]], [[40, 5]], [[50, 50]]]);
    expect(results.map((r) => r.window.notOkSinceMs)).toEqual([null, null, 20_000, 20_000, null]);
  });

  it('goes on from a stored window as if it had never stopped: no blind period after a restart', () => {
    const samples: [number, number | null][][] = [[[10, 5]], [[20, 5]], [[30, 5]], [[40, 5]]];
    const straight = run(samples);
    const firstHalf = run(samples.slice(0, 2));
    const stored: GroupWindow = JSON.parse(JSON.stringify(firstHalf.last.window));
    const resumed = run(samples.slice(2), 1, stored);
    expect(resumed.results.map((r) => r.lag)).toEqual(straight.results.slice(2).map((r) => r.lag));
    expect(resumed.last.lag.status).toBe('STALL');
    // a fresh window would not know yet
    expect(run(samples.slice(2)).last.lag.status).toBe('OK');
  });

  it('forgets partitions that are no longer sampled and keeps the window to its size', () => {
    const { last } = run([
      [
        [10, 10],
        [10, 10],
      ],
      [[20, 20]],
      [[30, 30]],
      [[40, 40]],
    ]);
    expect(last.window.partitions).toHaveLength(1);
    expect(last.window.partitions[0].window.map((s) => s.atMs)).toEqual([10_000, 20_000, 30_000]);
  });
});
