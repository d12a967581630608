const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Local wall time <-> instant for one IANA zone, using only Intl: exact at every instant. */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timezone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Local time minus UTC at the instant, in ms. */
  offsetAt(t: number): number {
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.format.formatToParts(t)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
      }
    }
    const wholeSecond = Math.floor(t / 1000) * 1000;
    return Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecond;
  }

  /** The local date of the instant, as days since 1970-01-01. */
  localDayOf(t: number): number {
    return Math.floor((t + this.offsetAt(t)) / DAY_MS);
  }

  /**
   * The instant of a local wall time, by the rule in FacilityCalendar's header: a skipped time means
   * the moment the clocks jump; a repeated time means its first occurrence.
   */
  instantOf(localDay: number, minuteOfDay: number): number {
    const wall = localDay * DAY_MS + minuteOfDay * MINUTE_MS;
    // Offsets a day either side: a wall time is affected by at most the one change between them.
    const offsetBefore = this.offsetAt(wall - DAY_MS);
    const offsetAfter = this.offsetAt(wall + DAY_MS);
    const early = wall - offsetBefore;
    const late = wall - offsetAfter;
    const earlyExists = this.offsetAt(early) === offsetBefore;
    const lateExists = this.offsetAt(late) === offsetAfter;
    if (earlyExists && lateExists) return Math.min(early, late);
    if (earlyExists) return early;
    if (lateExists) return late;
    // Skipped: find the change, a whole second between `late` (old offset) and `early` (new offset).
    let lo = Math.floor(Math.min(early, late) / 1000);
    let hi = Math.ceil(Math.max(early, late) / 1000);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.offsetAt(mid * 1000) === offsetBefore) lo = mid;
      else hi = mid;
    }
    return hi * 1000;
  }
}
