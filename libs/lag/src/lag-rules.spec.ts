import {
  partitionStatus,
  worstStatus,
  type LagRules,
  type PartitionState,
  type WindowSample,
} from './lag-rules';

const rules: LagRules = { windowSamples: 4, stopMs: 60_000, allowedLag: 100, allowedLagSeconds: 0 };

/** A window sampled every 10 s from t = 0: [endOffset, committed] per sample. */
function window(...samples: [number, number | null][]): WindowSample[] {
  return samples.map(([endOffset, committed], i) => ({
    atMs: i * 10_000,
    endOffset,
    committed,
    lag: Math.max(0, endOffset - (committed ?? 0)),
  }));
}
const lastAt = (w: WindowSample[]) => w[w.length - 1].atMs;
/** A group with one live member, last progress at `lastProgressAtMs`. */
const live = (lastProgressAtMs: number, lagSeconds: number): PartitionState => ({
  lastProgressAtMs,
  lagSeconds,
  members: 1,
});
/** The same with nobody left in the group. */
const deserted = (lastProgressAtMs: number, lagSeconds: number): PartitionState => ({
  ...live(lastProgressAtMs, lagSeconds),
  members: 0,
});

describe('the status of a partition over its window', () => {
  it('is OK when the group keeps up, however little or much it commits', () => {
    const w = window([100, 100], [200, 200], [300, 300], [400, 400]);
    expect(partitionStatus(w, live(lastAt(w), 0), rules)).toBe('OK');
  });

  it('is OK when there is no lag, even if nothing was committed for long', () => {
    const w = window([50, 50], [50, 50], [50, 50], [50, 50]);
    expect(partitionStatus(w, live(-1_000_000, 0), rules)).toBe('OK');
  });

  it('is STALL when the committed offset did not move over a full window while the log end did', () => {
    const w = window([100, 90], [200, 90], [300, 90], [400, 90]);
    expect(partitionStatus(w, live(0, 30), rules)).toBe('STALL');
  });

  it('is STALL for a group that never committed on a partition that receives messages', () => {
    const w = window([10, null], [20, null], [30, null], [40, null]);
    expect(partitionStatus(w, live(0, 30), rules)).toBe('STALL');
  });

  it('waits for a full window before it calls a partition STALL or WARN', () => {
    const w = window([100, 90], [200, 90], [300, 90]);
    expect(partitionStatus(w, live(0, 20), rules)).toBe('OK');
  });

  it('is not STALL when nothing new arrives: a group idle behind a quiet log is only STOP in time', () => {
    const w = window([100, 90], [100, 90], [100, 90], [100, 90]);
    expect(partitionStatus(w, live(0, 30), rules)).toBe('OK');
    expect(partitionStatus(w, live(30_000 - 60_000, 30), rules)).toBe('STOP');
  });

  it('is STOP when there is lag and no commit for the stop time, ahead of STALL', () => {
    const w = window([100, 90], [200, 90], [300, 90], [400, 90]);
    expect(partitionStatus(w, live(lastAt(w) - 60_000, 300), rules)).toBe('STOP');
    expect(partitionStatus(w, live(lastAt(w) - 59_999, 300), rules)).toBe('STALL');
  });

  it('is WARN when the lag never shrank over the window and is now above the allowed lag', () => {
    const w = window([1_000, 900], [2_000, 1_800], [3_000, 2_700], [4_000, 3_600]);
    expect(partitionStatus(w, live(lastAt(w), 10), rules)).toBe('WARN');
  });

  it('does not warn of a small steady lag within the allowed lag', () => {
    const w = window([1_000, 950], [2_000, 1_940], [3_000, 2_930], [4_000, 3_920]);
    expect(partitionStatus(w, live(lastAt(w), 1), rules)).toBe('OK');
  });

  it('does not warn when the lag in seconds is within the allowed lag seconds, if that is set', () => {
    const w = window([1_000, 900], [2_000, 1_800], [3_000, 2_700], [4_000, 3_600]);
    expect(partitionStatus(w, live(lastAt(w), 4), { ...rules, allowedLagSeconds: 5 })).toBe('OK');
    expect(partitionStatus(w, live(lastAt(w), 6), { ...rules, allowedLagSeconds: 5 })).toBe('WARN');
  });

  it('does not warn once the lag shrank within the window: the group is catching up', () => {
    const w = window([1_000, 500], [2_000, 1_300], [3_000, 2_100], [4_000, 3_000]);
    expect(partitionStatus(w, live(lastAt(w), 10), rules)).toBe('WARN');
    const catchingUp = window([1_000, 500], [2_000, 1_300], [3_000, 2_400], [4_000, 3_500]);
    expect(partitionStatus(catchingUp, live(lastAt(catchingUp), 10), rules)).toBe('OK');
  });
});

describe('the status of a partition of a group with no live members', () => {
  it('is STOP at the first sample with lag: nobody will consume it, there is no window to wait for', () => {
    const w = window([100, 90]);
    expect(partitionStatus(w, deserted(lastAt(w), 0), rules)).toBe('STOP');
  });

  it('is STOP however the window looks, where a live group would be OK, WARN or STALL', () => {
    const catchingUp = window([1_000, 500], [2_000, 1_300], [3_000, 2_400], [4_000, 3_500]);
    const falling = window([1_000, 900], [2_000, 1_800], [3_000, 2_700], [4_000, 3_600]);
    const stuck = window([100, 90], [200, 90], [300, 90], [400, 90]);
    expect(partitionStatus(catchingUp, live(lastAt(catchingUp), 10), rules)).toBe('OK');
    expect(partitionStatus(falling, live(lastAt(falling), 10), rules)).toBe('WARN');
    expect(partitionStatus(stuck, live(0, 30), rules)).toBe('STALL');
    for (const w of [catchingUp, falling, stuck])
      expect(partitionStatus(w, deserted(lastAt(w), 0), rules)).toBe('STOP');
  });

  it('is STOP for any lag at all, even one within the allowed lag', () => {
    const w = window([1_000, 999]);
    expect(partitionStatus(w, live(lastAt(w), 0), rules)).toBe('OK');
    expect(partitionStatus(w, deserted(lastAt(w), 0), rules)).toBe('STOP');
  });

  it('is OK when there is no lag: a stopped consumer that had consumed everything is not a problem yet', () => {
    const w = window([50, 50], [50, 50]);
    expect(partitionStatus(w, deserted(lastAt(w), 0), rules)).toBe('OK');
  });
});

describe('the worst of several statuses', () => {
  it('orders STOP over STALL over WARN over OK, and is OK for none', () => {
    expect(worstStatus([])).toBe('OK');
    expect(worstStatus(['OK', 'WARN', 'OK'])).toBe('WARN');
    expect(worstStatus(['STALL', 'WARN'])).toBe('STALL');
    expect(worstStatus(['OK', 'STOP', 'STALL'])).toBe('STOP');
  });
});
