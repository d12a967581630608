import { ZoneClock } from '@app/calendar';

// A module-level alias: a global looked up in a vm context (Jest's) is slow; see random.ts.
const floor = Math.floor;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Offsets are looked up once per quarter hour of UTC: no zone changes its offset off a quarter hour. */
const BUCKET_MS = 15 * MINUTE_MS;
/** Two days of minutes: a day being generated touches a few hours at a time. */
const MAX_MINUTE_TEXTS = 2 * 24 * 60;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * Local wall time of one IANA zone: RFC 3339 text with the local offset, as a scanner writes it, and
 * the local time of day. Intl is asked once per quarter hour, so formatting a million instants is cheap.
 */
export class LocalClock extends ZoneClock {
  private readonly offsets = new Map<number, number>();
  /** minute since the epoch -> [`YYYY-MM-DDTHH:MM:` local, offset text] */
  private readonly minuteTexts = new Map<number, [string, string]>();

  /** Local time minus UTC at the instant, in ms (looked up once per quarter hour). */
  override offsetAt(ms: number): number {
    const bucket = floor(ms / BUCKET_MS);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = super.offsetAt(bucket * BUCKET_MS);
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  /** `2026-11-27T07:40:12+08:00`: whole seconds and the local offset. */
  rfc3339(ms: number): string {
    const minute = floor(ms / MINUTE_MS);
    let head = this.minuteTexts.get(minute);
    if (head === undefined) {
      const offset = this.offsetAt(ms);
      const local = new Date(minute * MINUTE_MS + offset).toISOString().slice(0, 17);
      head = [local, offsetText(offset)];
      if (this.minuteTexts.size >= MAX_MINUTE_TEXTS) this.minuteTexts.clear();
      this.minuteTexts.set(minute, head);
    }
    // offsets are whole minutes, so the local second is the UTC second
    return head[0] + TWO_DIGITS[floor((ms - minute * MINUTE_MS) / 1000)] + head[1];
  }

  /** Minutes since local midnight at the instant. */
  minuteOfDay(ms: number): number {
    const local = ms + this.offsetAt(ms);
    return floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  }

  /** The first instant at or after `ms` whose local time of day is `minute` (minutes since midnight). */
  nextLocalTime(ms: number, minute: number): number {
    const now = this.minuteOfDay(ms);
    const ahead = (minute - now + 24 * 60) % (24 * 60);
    const wholeMinute = ms - (ms % MINUTE_MS);
    const candidate = wholeMinute + ahead * MINUTE_MS;
    // Across a change of offset the wall clock jumps; correct by the difference once.
    return candidate + (this.offsetAt(ms) - this.offsetAt(candidate));
  }

  /** The instant of local midnight starting `date` (`YYYY-MM-DD`). */
  midnightOf(date: string): number {
    const wall = Date.parse(`${date}T00:00:00Z`);
    if (!Number.isFinite(wall)) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
    let guess = wall - this.offsetAt(wall);
    guess = wall - this.offsetAt(guess);
    return guess;
  }
}

function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.abs(offsetMs) / MINUTE_MS;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}
