/** The part of a logger a retry loop needs (JsonLogger of @app/observability has it). */
export interface WarnLogger {
  warn(message: unknown, fields?: unknown): void;
}

/**
 * Logs a repeated failure at most once per `everyMs` per cause: the first occurrence at once, then one
 * line per period carrying `repeated` (how many occurrences that line stands for) while it goes on.
 * A loop that fails 300 times a second writes one line every 10 s, not 3,000.
 */
export class ThrottledLog {
  private readonly causes = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(
    private readonly log: WarnLogger,
    private readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `cause` groups occurrences (e.g. "apply"); `fields` are those of this occurrence. */
  warn(cause: string, message: string, fields: Record<string, unknown> = {}): void {
    const at = this.now();
    const seen = this.causes.get(cause);
    if (seen && at - seen.lastAt < this.everyMs) {
      seen.suppressed++;
      return;
    }
    this.log.warn(message, { ...fields, cause, repeated: (seen?.suppressed ?? 0) + 1 });
    this.causes.set(cause, { lastAt: at, suppressed: 0 });
  }

  /** The cause went away: the next occurrence is logged at once. */
  clear(cause: string): void {
    this.causes.delete(cause);
  }
}
