import { LAG_STATUS_RANK, type LagStatus } from './lag-report';

/** One sample of a partition in the sliding window. */
export interface WindowSample {
  atMs: number;
  endOffset: number;
  /** null: the group has no committed offset on the partition */
  committed: number | null;
  lag: number;
}

export interface LagRules {
  /** samples in the sliding window; WARN and STALL need a full window */
  windowSamples: number;
  /** STOP: lag and no commit for this long */
  stopMs: number;
  /** a lag of at most this many messages never warns */
  allowedLag: number;
  /** a lag of at most this many seconds never warns (0: only allowedLag counts) */
  allowedLagSeconds: number;
}

/** What the window alone does not hold: the clock of STOP, the lag in seconds and the live members. */
export interface PartitionState {
  /**
   * The last time the committed offset moved or the group had no lag: the clock of STOP, which must not
   * run while a caught-up group has nothing to commit.
   */
  lastProgressAtMs: number;
  lagSeconds: number;
  /** the group's live members at the current sample */
  members: number;
}

/**
 * The status of one partition over its window (oldest first, the current sample last), after Burrow's
 * rules (README, "Consumer lag", says where they differ):
 *
 * - OK whenever there is no lag.
 * - STOP: lag > 0 and the group has no live members (nobody will ever consume it: no need to wait for
 *   a window), or lag > 0 and no progress for `stopMs`.
 * - STALL: lag > 0 over a full window in which the committed offset never moved while the log end did.
 * - WARN: over a full window the lag never shrank, and it is now above the allowed lag.
 * - OK otherwise.
 */
export function partitionStatus(
  window: WindowSample[],
  { lastProgressAtMs, lagSeconds, members }: PartitionState,
  rules: LagRules,
): LagStatus {
  const current = window[window.length - 1];
  if (!current || current.lag === 0) return 'OK';
  if (members === 0) return 'STOP';
  if (current.atMs - lastProgressAtMs >= rules.stopMs) return 'STOP';
  if (window.length < rules.windowSamples) return 'OK';
  const first = window[0];
  const committedMoved = window.some((s) => s.committed !== first.committed);
  if (!committedMoved && current.endOffset !== first.endOffset) return 'STALL';
  const neverShrank = window.every((s, i) => i === 0 || s.lag >= window[i - 1].lag);
  const allowed =
    current.lag <= rules.allowedLag || (rules.allowedLagSeconds > 0 && lagSeconds <= rules.allowedLagSeconds);
  if (neverShrank && !allowed) return 'WARN';
  return 'OK';
}

/** The worst of several statuses (a group's is its worst partition's); OK for none. */
export function worstStatus(statuses: Iterable<LagStatus>): LagStatus {
  let worst: LagStatus = 'OK';
  for (const status of statuses) if (LAG_STATUS_RANK[status] > LAG_STATUS_RANK[worst]) worst = status;
  return worst;
}
