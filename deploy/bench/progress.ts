/** Progress lines on stderr while the bench runs, each with the time since the run began. */
export class Progress {
  private readonly started = Date.now();
  private lastAt = 0;

  line(text: string): void {
    const s = Math.round((Date.now() - this.started) / 1000);
    const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    process.stderr.write(`[bench ${stamp}] ${text}\n`);
  }

  /** At most one line every `everyMs` (the last one of a phase should go through `line`). */
  throttled(text: string, everyMs = 2_000): void {
    if (Date.now() - this.lastAt < everyMs) return;
    this.lastAt = Date.now();
    this.line(text);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The q-quantile of ascending values (nearest rank), null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface Distribution {
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export function distributionOf(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}
