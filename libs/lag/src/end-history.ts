/**
 * When was the log end at a given offset? Per partition the monitor keeps a short history of the log
 * end offset as sampled, `[atMs, endOffset]` oldest first, and reads it backwards: the message at
 * offset C was appended at the moment the log end reached C + 1, found by interpolating linearly
 * between the two samples around it (the method of kafka-lag-exporter). The lag in seconds of a
 * consumer whose next offset is C is then the time since then.
 *
 * The history is bounded: when it is full, the point whose removal changes the interpolation least is
 * dropped (points on a straight run of steady traffic, or inside a flat run, cost nothing), so a long
 * history survives in few points.
 */
export type EndPoint = [atMs: number, endOffset: number];

/** What the history can tell about one committed offset. */
export interface LagAge {
  lagSeconds: number;
  /**
   * `interpolated`: between two samples; `extrapolated`: the offset is older than the whole history,
   * estimated from its average rate; `lower-bound`: older than the history and no rate is known, so the
   * age of the oldest sample (the true age is larger); `caught-up`: no lag.
   */
  method: 'interpolated' | 'extrapolated' | 'lower-bound' | 'caught-up';
}

/** Appends a sample; a log end that went backwards (topic re-created or truncated) starts a fresh history. */
export function addEndPoint(history: EndPoint[], point: EndPoint, maxPoints: number): EndPoint[] {
  const last = history[history.length - 1];
  if (last && (point[1] < last[1] || point[0] < last[0])) return [point];
  let next = [...history, point];
  // a flat run needs only its first and last points
  const n = next.length;
  if (n >= 3 && next[n - 3][1] === next[n - 2][1] && next[n - 2][1] === point[1]) {
    next.splice(n - 2, 1);
  }
  while (next.length > Math.max(2, maxPoints)) next = dropCheapest(next);
  return next;
}

function dropCheapest(history: EndPoint[]): EndPoint[] {
  let best = 1;
  let bestCost = Infinity;
  for (let i = 1; i < history.length - 1; i++) {
    const cost = removalCost(history[i - 1], history[i], history[i + 1]);
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  }
  return [...history.slice(0, best), ...history.slice(best + 1)];
}

/** How far off (ms) the time of `mid`'s offset would be read once `mid` is gone. */
function removalCost(before: EndPoint, mid: EndPoint, after: EndPoint): number {
  if (after[1] === before[1]) return 0;
  const estimated = before[0] + ((mid[1] - before[1]) / (after[1] - before[1])) * (after[0] - before[0]);
  return Math.abs(estimated - mid[0]);
}

/**
 * The age, at `nowMs`, of the message at offset `committed` (the next one the group would read), from
 * the history. A committed offset at or past the newest log end has no lag.
 */
export function lagAge(history: EndPoint[], committed: number, nowMs: number): LagAge {
  const newest = history[history.length - 1];
  if (!newest || committed >= newest[1]) return { lagSeconds: 0, method: 'caught-up' };
  const target = committed + 1; // the log end just after the message at `committed` was appended
  const oldest = history[0];
  if (target <= oldest[1]) {
    const spanMs = newest[0] - oldest[0];
    const rate = spanMs > 0 ? (newest[1] - oldest[1]) / spanMs : 0; // messages per ms
    if (rate > 0) {
      const at = oldest[0] - (oldest[1] - target) / rate;
      return { lagSeconds: seconds(nowMs - at), method: 'extrapolated' };
    }
    return { lagSeconds: seconds(nowMs - oldest[0]), method: 'lower-bound' };
  }
  // the first point whose end reached the target; the one before it had not
  let i = 1;
  while (history[i][1] < target) i++;
  const [t0, e0] = history[i - 1];
  const [t1, e1] = history[i];
  const at = t0 + ((target - e0) / (e1 - e0)) * (t1 - t0);
  return { lagSeconds: seconds(nowMs - at), method: 'interpolated' };
}

function seconds(ms: number): number {
  return Math.max(0, Math.round(ms) / 1000);
}
